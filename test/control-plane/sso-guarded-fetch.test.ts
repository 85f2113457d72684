import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPublicAddress } from '../../control-plane/src/net/address-policy.js';
import { guardedFetch, OutboundError } from '../../control-plane/src/net/guarded-fetch.js';

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutboundError, String(err));
    return err.reason;
  }
  assert.fail('expected the request to be refused');
}

describe('guarded outbound fetch', function () {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/doc') return void res.end('{"ok":true}');
      if (req.url === '/big') {
        res.writeHead(200);
        // No content-length: the cap must hold while streaming.
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 97));
        return void res.end();
      }
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      if (req.url?.startsWith('/loop')) return void res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('classifies special-purpose addresses as not public', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1']) {
      assert.equal(isPublicAddress(ip), false, ip);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34']) assert.equal(isPublicAddress(ip), true, ip);
    assert.equal(isPublicAddress('not-an-ip'), false);
  });

  it('refuses plain http, literal private addresses and names that resolve to them', async () => {
    assert.equal(await reason(guardedFetch(`${base}/doc`)), 'scheme_not_allowed');
    assert.equal(await reason(guardedFetch('https://127.0.0.1/doc')), 'address_not_allowed');
    assert.equal(await reason(guardedFetch('https://[::1]/doc')), 'address_not_allowed');
    assert.equal(await reason(guardedFetch('https://169.254.169.254/latest/meta-data')), 'address_not_allowed');
    assert.equal(await reason(guardedFetch('https://localhost/doc')), 'address_not_allowed');
    assert.equal(await reason(guardedFetch('ftp://example.com/x')), 'scheme_not_allowed');
    assert.equal(await reason(guardedFetch('not a url')), 'invalid_url');
  });

  it('reaches a loopback server only when the policy allows private addresses', async () => {
    const res = await guardedFetch(`${base}/doc`, {}, { allowPrivate: true });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('caps the body size, the time and the redirects', async () => {
    assert.equal(await reason(guardedFetch(`${base}/big`, {}, { allowPrivate: true, maxBytes: 10_000 })), 'too_large');
    const t0 = Date.now();
    assert.equal(await reason(guardedFetch(`${base}/slow`, {}, { allowPrivate: true, timeoutMs: 200 })), 'timeout');
    assert.ok(Date.now() - t0 < 1500);
    assert.equal(await reason(guardedFetch(`${base}/loop`, {}, { allowPrivate: true })), 'too_many_redirects');
    const manual = await guardedFetch(`${base}/loop`, { redirect: 'manual' }, { allowPrivate: true });
    assert.equal(manual.status, 302);
  });

  it('checks every redirect hop again', async () => {
    // The first URL passes (loopback allowed here); the hop it redirects to is judged on its own.
    assert.equal(await reason(guardedFetch(`${base}/to-file`, {}, { allowPrivate: true })), 'scheme_not_allowed');
  });
});
