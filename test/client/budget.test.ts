/** The shared client spends the budget the RateLimit headers report before it is told it is spent: nock plays the server. */
import assert from 'node:assert/strict';
import nock from 'nock';

// See client.test.ts: nock 15 needs Promise.withResolvers, which Node 20 lacks.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
};
import { ClaresiaClient } from '@claresia/client';

const BASE = 'http://budget.claresia.test';

function client() {
  const waits: number[] = [];
  const c = new ClaresiaClient({ endpoint: BASE, token: 'tok', sleep: async (ms) => void waits.push(ms) });
  return { c, waits };
}

describe('client: request budget from the RateLimit headers', () => {
  before(() => {
    if (!nock.isActive()) nock.activate();
  });
  after(() => {
    nock.cleanAll();
    nock.restore();
  });

  it('sends what the last answer said is left, then waits for the reset before the next', async () => {
    nock(BASE).get('/a').reply(200, {}, { 'RateLimit-Remaining': '2', 'RateLimit-Reset': '5' }).get('/b').reply(200, {}).get('/c').reply(200, {}).get('/d').reply(200, {});
    const { c, waits } = client();
    await c.get('/a');
    await c.get('/b');
    await c.get('/c');
    assert.deepEqual(waits, [], 'two left: /b and /c go at once');
    await c.get('/d');
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! > 4000 && waits[0]! <= 5000, `waited ${waits[0]} ms`);
  });

  it('stops waiting once an answer past the reset carries no RateLimit headers (a server that no longer limits)', async () => {
    nock(BASE).get('/a').reply(200, {}, { 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' }).get('/b').reply(200, {}).get('/c').reply(200, {}).get('/d').reply(200, {});
    const { c, waits } = client();
    await c.get('/a');
    await c.get('/b');
    await c.get('/c');
    await c.get('/d');
    assert.equal(waits.length, 1, JSON.stringify(waits));
  });

  it('counts the requests still on their way against what is left', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    nock(BASE)
      .get('/slow')
      .reply(async () => {
        await gate;
        return [200, {}];
      })
      .get('/a')
      .reply(200, {}, { 'RateLimit-Remaining': '1', 'RateLimit-Reset': '4' })
      .get('/c')
      .reply(200, {});
    const { c, waits } = client();
    const slow = c.get('/slow');
    // One left, and /slow may not have been counted yet: it takes that one, so /c waits.
    await c.get('/a');
    await c.get('/c');
    assert.equal(waits.length, 1, JSON.stringify(waits));
    assert.ok(waits[0]! > 3000 && waits[0]! <= 4000, `waited ${waits[0]} ms`);
    release();
    await slow;
  });
});
