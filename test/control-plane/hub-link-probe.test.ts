/**
 * The mTLS probe of a Mode C link (hub/mtls-probe.ts) ends by its timeout however the endpoint
 * behaves, and says when it timed out: a check brought forward by a read leaves the last answer
 * standing then (hub/link-on-read.ts), and a monitor worker is not held by one endpoint.
 */
import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { probeMtls } from '../../control-plane/src/hub/mtls-probe.js';
import { startBlackHole, type BlackHole } from '../support/platforms/black-hole.js';
import { selfSigned, type TestCert } from '../support/platforms/certs.js';
import { until } from '../support/until.js';

/** Waits for `done` through event-loop turns only (setTimeout is mocked meanwhile); fails after many. */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (done()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('not done after 2000 event-loop turns');
}

describe('hub link probe timeout', function () {
  this.timeout(20_000);
  let client: TestCert;
  const holes: BlackHole[] = [];
  before(async () => {
    client = await selfSigned('probe client');
  });
  after(async () => {
    for (const h of holes) await h.close();
  });
  const probe = (url: string) => probeMtls({ url, caPem: client.pem, certificatePem: client.pem, privateKeyPem: client.keyPem, allowPrivate: true, timeoutMs: 300 });

  it('the timeout is a deadline from the start, not the socket going idle: at timeoutMs the probe has ended', async () => {
    const hole = await startBlackHole();
    holes.push(hole);
    // Only setTimeout is mocked: the socket's own idle timer keeps real time, so a probe still
    // waiting on it (it fired after about twice timeoutMs) is pending when the mocked minute passes.
    mock.timers.enable({ apis: ['setTimeout'] });
    let result: unknown;
    try {
      const probing = probeMtls({ url: hole.url, caPem: client.pem, certificatePem: client.pem, privateKeyPem: client.keyPem, allowPrivate: true, timeoutMs: 60_000 });
      void probing.then((r) => (result = r));
      await turnsUntil(() => hole.accepted === 1);
      mock.timers.tick(60_000);
      await turnsUntil(() => result !== undefined);
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(result, { ok: false, reason: 'the endpoint could not be reached (ETIMEDOUT)', timedOut: true });
    await until('the connection closed', async () => hole.open === 0);
  });

  it('an endpoint that accepts and never answers is timed out too, and the connection closed', async () => {
    const hole = await startBlackHole();
    holes.push(hole);
    assert.deepEqual(await probe(hole.url), { ok: false, reason: 'the endpoint could not be reached (ETIMEDOUT)', timedOut: true });
    assert.equal(hole.accepted, 1);
    await until('the connection closed', async () => hole.open === 0);
  });

  it('a refused connection is a verdict, not a timeout', async () => {
    const hole = await startBlackHole();
    const url = hole.url;
    await hole.close();
    assert.deepEqual(await probe(url), { ok: false, reason: 'the endpoint could not be reached (ECONNREFUSED)' });
  });
});
