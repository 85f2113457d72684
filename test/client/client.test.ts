/** The HTTP client's edge cases, with the network played by nock: retries, Retry-After, idempotency, timeouts, errors. */
import assert from 'node:assert/strict';
import nock from 'nock';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import type { AddressInfo } from 'node:net';

// nock 15's fetch interception (@mswjs/interceptors) calls Promise.withResolvers, which Node 20
// lacks (it arrived in Node 22). The engines field allows Node 20, so supply it for these tests.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
};
import { BatchReader, ClaresiaApiError, ClaresiaClient, ClaresiaConfigError, ClaresiaNetworkError, parseRetryAfter, backoffDelay } from '@claresia/client';

// Importing nock patches sockets for the whole mocha process (every suite, gRPC included);
// keep it active only while these suites run.
nock.restore();
function nockOnlyHere() {
  before(() => {
    if (!nock.isActive()) nock.activate();
  });
  after(() => nock.restore());
}

const BASE = 'http://claresia.test';
const TOKEN = 'op_super_secret_token_value';

function client(extra: Partial<ConstructorParameters<typeof ClaresiaClient>[0]> = {}) {
  const waits: number[] = [];
  const c = new ClaresiaClient({
    endpoint: BASE,
    token: TOKEN,
    sleep: async (ms) => void waits.push(ms),
    ...extra,
  });
  return { c, waits };
}

describe('client: retries and backoff', () => {
  nockOnlyHere();
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('retries 429 honouring Retry-After in seconds, then succeeds', async () => {
    const scope = nock(BASE)
      .get('/api/v1/tenants/tnt_1').reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '3' })
      .get('/api/v1/tenants/tnt_1').reply(200, { id: 'tnt_1' });
    const { c, waits } = client();
    const res = await c.get('/api/v1/tenants/tnt_1');
    assert.deepEqual(res.body, { id: 'tnt_1' });
    assert.deepEqual(waits, [3000]);
    scope.done();
  });

  it('honours Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('garbage', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('backs off exponentially with jitter on 5xx and gives up after maxRetries with the API error', async () => {
    const scope = nock(BASE).get('/api/v1/tenants/tnt_1').times(4).reply(503, { error: { code: 'unavailable', message: 'maintenance' } });
    const { c, waits } = client({ maxRetries: 3, backoff: { baseDelayMs: 100, maxDelayMs: 1000 } });
    await assert.rejects(c.get('/api/v1/tenants/tnt_1'), (err: unknown) => {
      assert.ok(err instanceof ClaresiaApiError);
      assert.equal(err.status, 503);
      assert.equal(err.code, 'unavailable');
      return true;
    });
    assert.equal(waits.length, 3);
    waits.forEach((w, i) => {
      const ceiling = Math.min(1000, 100 * 2 ** i);
      assert.ok(w >= ceiling / 2 && w <= ceiling, `wait ${i} = ${w} within [${ceiling / 2}, ${ceiling}]`);
    });
    scope.done();
  });

  it('keeps the same Idempotency-Key on every retry of a create', async () => {
    const keys: string[] = [];
    const record = (v: string | null) => (keys.push(String(v)), true);
    const scope = nock(BASE)
      .post('/api/v1/tenants').matchHeader('idempotency-key', record).reply(502, 'bad gateway')
      .post('/api/v1/tenants').matchHeader('idempotency-key', record).reply(503, 'busy')
      .post('/api/v1/tenants').matchHeader('idempotency-key', record).reply(201, { id: 'tnt_new' });
    const { c } = client();
    const res = await c.post('/api/v1/tenants', { body: { slug: 'x' } });
    assert.equal(res.status, 201);
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys).size, 1);
    assert.match(keys[0]!, /^[0-9a-f-]{36}$/);
    scope.done();
  });

  it('gives each create its own key', async () => {
    const keys: string[] = [];
    nock(BASE).post('/api/v1/tenants').times(2).matchHeader('idempotency-key', (v: string | null) => (keys.push(String(v)), true)).reply(201, {});
    const { c } = client();
    await c.post('/api/v1/tenants', { body: {} });
    await c.post('/api/v1/tenants', { body: {} });
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
  });

  it('does not retry a 4xx other than 429', async () => {
    const scope = nock(BASE).patch('/api/v1/tenants/tnt_1').once().reply(400, { error: { code: 'invalid_request', message: 'region cannot change', field: 'region' } });
    const { c, waits } = client();
    await assert.rejects(c.patch('/api/v1/tenants/tnt_1', { body: { region: 'x' } }), (err: unknown) => {
      assert.ok(err instanceof ClaresiaApiError);
      assert.equal(err.field, 'region');
      assert.equal(err.message, 'PATCH /api/v1/tenants/tnt_1: 400 invalid_request: region cannot change (field: region)');
      return true;
    });
    assert.equal(waits.length, 0);
    scope.done();
  });

  it('times out a hanging request, retries it, and reports the timeout', async () => {
    // A real socket that never answers: aborting a delayed nock reply trips an undici assertion.
    nock.enableNetConnect('127.0.0.1');
    let seen = 0;
    const server = http.createServer(() => void seen++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { c } = client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 100, maxRetries: 1 });
      await assert.rejects(c.get('/slow'), (err: unknown) => {
        assert.ok(err instanceof ClaresiaNetworkError);
        assert.equal(err.timedOut, true);
        assert.match(err.message, /no answer within 100 ms \(after 2 attempts\)/);
        return true;
      });
      assert.equal(seen, 2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports a refused connection as a network error after its retries', async () => {
    nock.enableNetConnect('127.0.0.1');
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const { c, waits } = client({ endpoint: `http://127.0.0.1:${port}`, maxRetries: 2 });
    await assert.rejects(c.get('/x'), (err: unknown) => {
      assert.ok(err instanceof ClaresiaNetworkError);
      assert.equal(err.timedOut, false);
      assert.match(err.message, /ECONNREFUSED.*\(after 3 attempts\)/);
      return true;
    });
    assert.equal(waits.length, 2);
  });

  it('stops at once when the caller aborts, while the answer is still being written', async () => {
    nock.enableNetConnect('127.0.0.1');
    // Headers go out, the body never ends: the abort has to cut the body read short.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items": [');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { c, waits } = client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 60_000 });
      const stop = new AbortController();
      setTimeout(() => stop.abort(new Error('Terraform asked the provider to stop')), 100);
      const t0 = Date.now();
      await assert.rejects(c.get('/slow', { signal: stop.signal }), /Terraform asked the provider to stop/);
      assert.ok(Date.now() - t0 < 5_000);
      assert.equal(waits.length, 0, 'an abort is not retried');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses a Retry-After longer than it is willing to wait', async () => {
    nock(BASE).get('/x').reply(429, {}, { 'Retry-After': '86400' });
    const { c } = client();
    await assert.rejects(c.get('/x'), /retry_after_too_long/);
  });

  it('pauses before the next request when the rate-limit window is spent', async () => {
    nock(BASE).get('/a').reply(200, {}, { 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' }).get('/b').reply(200, {});
    const { c, waits } = client();
    await c.get('/a');
    await c.get('/b');
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! > 1500 && waits[0]! <= 2000, `paused ${waits[0]} ms`);
  });

  it('jitter stays within the ceiling', () => {
    const p = { baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 1 };
    assert.equal(backoffDelay(0, p, () => 0), 125);
    assert.equal(backoffDelay(10, p, () => 1), 8000);
  });
});

describe('client: credentials', () => {
  nockOnlyHere();
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('exchanges client credentials once for a JWT and sends it as a bearer token', async () => {
    const scope = nock(BASE)
      .post('/api/v1/auth/token', { grant_type: 'client_credentials', client_id: 'cl_1', client_secret: 'cs_shh' })
      .once()
      .reply(200, { access_token: 'jwt.one', token_type: 'Bearer', expires_in: 3600 })
      .get('/api/v1/tenant').times(2).matchHeader('authorization', 'Bearer jwt.one').reply(200, { id: 'tnt_1' });
    const c = new ClaresiaClient({ endpoint: BASE, clientId: 'cl_1', clientSecret: 'cs_shh' });
    await Promise.all([c.get('/api/v1/tenant'), c.get('/api/v1/tenant')]);
    scope.done();
  });

  it('exchanges again once when the JWT is rejected mid-run', async () => {
    const scope = nock(BASE)
      .post('/api/v1/auth/token').reply(200, { access_token: 'jwt.old', expires_in: 3600 })
      .get('/api/v1/tenant').matchHeader('authorization', 'Bearer jwt.old').reply(401, { error: { code: 'unauthorized', message: 'token revoked' } })
      .post('/api/v1/auth/token').reply(200, { access_token: 'jwt.new', expires_in: 3600 })
      .get('/api/v1/tenant').matchHeader('authorization', 'Bearer jwt.new').reply(200, { ok: true });
    const c = new ClaresiaClient({ endpoint: BASE, clientId: 'cl_1', clientSecret: 'cs_shh' });
    assert.deepEqual((await c.get('/api/v1/tenant')).body, { ok: true });
    scope.done();
  });

  it('never puts the token or client secret in an error message', async () => {
    nock(BASE).post('/api/v1/auth/token').reply(401, { error: { code: 'unauthorized', message: 'invalid client cs_shh_leaky' } });
    const c = new ClaresiaClient({ endpoint: BASE, clientId: 'cl_1', clientSecret: 'cs_shh_leaky' });
    await assert.rejects(c.get('/api/v1/tenant'), (err: Error) => {
      assert.doesNotMatch(err.message + String(err.stack), /cs_shh_leaky/);
      assert.match(err.message, /client_id\/client_secret pair was rejected/);
      return true;
    });
    nock(BASE).get('/x').reply(403, { error: { code: 'forbidden', message: 'operator only' } });
    const { c: c2 } = client();
    await assert.rejects(c2.get('/x'), (err: Error) => {
      assert.doesNotMatch(err.message + String(err.stack) + JSON.stringify(err), new RegExp(TOKEN));
      return true;
    });
  });

  it('rejects a configuration without endpoint or credentials', () => {
    assert.throws(() => new ClaresiaClient({ endpoint: '', token: 'x' }), ClaresiaConfigError);
    assert.throws(() => new ClaresiaClient({ endpoint: 'ftp://x', token: 'x' }), ClaresiaConfigError);
    assert.throws(() => new ClaresiaClient({ endpoint: BASE }), /no credentials/);
  });
});

describe('client: batched reads', () => {
  nockOnlyHere();
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('answers reads that arrive together with one list request by id', async () => {
    let asked: string[] = [];
    const scope = nock(BASE)
      .get('/api/v1/things')
      .query((q) => ((asked = ([] as string[]).concat(q.id as string[])), true))
      .reply(200, { items: [{ id: 'a', n: 1 }, { id: 'c', n: 3 }], next_cursor: null });
    const { c } = client();
    const r = new BatchReader<{ id: string; n: number }>(c, '/api/v1/things', 'id');
    const [a, b, cc] = await Promise.all([r.read('a'), r.read('b'), r.read('c')]);
    assert.deepEqual([a?.n, b, cc?.n], [1, undefined, 3]);
    assert.deepEqual(asked.sort(), ['a', 'b', 'c']);
    scope.done();
  });

  it('with prefetch, answers every read from one complete page', async () => {
    const scope = nock(BASE).get('/api/v1/things').query({ limit: '500' }).once().reply(200, { items: [{ id: 'a' }, { id: 'b' }], next_cursor: null });
    const { c } = client();
    const r = new BatchReader<{ id: string }>(c, '/api/v1/things', 'id', { prefetch: true });
    assert.deepEqual(await Promise.all([r.read('a'), r.read('b'), r.read('zzz')]), [{ id: 'a' }, { id: 'b' }, undefined]);
    assert.deepEqual(await r.read('a'), { id: 'a' });
    scope.done();
  });

  it('with prefetch of a partial page, asks by id for what the page did not hold', async () => {
    const scope = nock(BASE)
      .get('/api/v1/things').query({ limit: '500' }).reply(200, { items: [{ id: 'a' }], next_cursor: 'a' })
      .get('/api/v1/things').query({ id: 'q', limit: '1' }).reply(200, { items: [{ id: 'q' }], next_cursor: null });
    const { c } = client();
    const r = new BatchReader<{ id: string }>(c, '/api/v1/things', 'id', { prefetch: true });
    assert.deepEqual(await Promise.all([r.read('a'), r.read('q')]), [{ id: 'a' }, { id: 'q' }]);
    scope.done();
  });
});

describe('client: extra CA certificates handed over by the provider launcher', () => {
  // No nock here: a real TLS server on loopback, with a certificate no public root vouches for.
  const cert = generateServerCertificate();
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-ca-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, cert.certPem);
  let server: https.Server;
  let endpoint: string;
  before(async () => {
    server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    delete process.env.CLARESIA_EXTRA_CA_CERTS;
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts only Node’s roots without them', async () => {
    delete process.env.CLARESIA_EXTRA_CA_CERTS;
    await assert.rejects(client({ endpoint, maxRetries: 0 }).c.get('/x'), (err: unknown) => err instanceof ClaresiaNetworkError && /certificate/i.test(err.message));
  });

  it('names the variable when the file cannot be read, and does not retry', async () => {
    process.env.CLARESIA_EXTRA_CA_CERTS = path.join(dir, 'missing.pem');
    const { c, waits } = client({ endpoint, maxRetries: 3 });
    await assert.rejects(c.get('/x'), (err: unknown) => err instanceof ClaresiaConfigError && /NODE_EXTRA_CA_CERTS \(.*missing\.pem\) cannot be read/.test(err.message));
    assert.equal(waits.length, 0);
  });

  it('trusts the certificates in the file, as Node would with NODE_EXTRA_CA_CERTS', async () => {
    process.env.CLARESIA_EXTRA_CA_CERTS = caFile;
    assert.deepEqual((await client({ endpoint, maxRetries: 0 }).c.get('/x')).body, { ok: true });
  });
});
