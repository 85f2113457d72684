/**
 * A refused token is one error at configure (review r9 F3), as refused client credentials are
 * (configure.test.ts): ConfigureProvider proves the token with one request to the real control
 * plane and names where it came from. A token and client credentials given at the same level
 * (both in the block, or both in the environment) get a warning saying which one is used.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { createProvider, encodeMsgpack, providerType, type ObjectValue } from '@claresia/terraform-provider';
import { Severity } from '../../provider/src/proto/tfplugin6.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';

const dv = (t: Parameters<typeof encodeMsgpack>[0], v: any) => ({ msgpack: encodeMsgpack(t, v) });
const block = (v: Record<string, unknown>): ObjectValue => ({ endpoint: null, token: null, client_id: null, client_secret: null, request_timeout: null, max_retries: null, ...v }) as ObjectValue;
const steps = (d: any) => d.attribute?.steps?.map((s: any) => s.attribute_name ?? s.element_key_string ?? s.element_key_int) ?? [];
const CREDENTIAL_ENV = ['CLARESIA_ENDPOINT', 'CLARESIA_TOKEN', 'CLARESIA_CLIENT_ID', 'CLARESIA_CLIENT_SECRET'];

interface Diag {
  severity: number;
  summary: string;
  detail: string;
}

/** ConfigureProvider's diagnostics with only the given CLARESIA_* variables set. */
async function configure(config: Record<string, unknown>, vars: Record<string, string> = {}): Promise<Diag[]> {
  const saved = Object.fromEntries(CREDENTIAL_ENV.map((k) => [k, process.env[k]]));
  for (const k of CREDENTIAL_ENV) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return ((await createProvider().ConfigureProvider!({ config: dv(providerType, block(config)) })).diagnostics ?? []) as Diag[];
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const errors = (d: Diag[]) => d.filter((x) => x.severity === Severity.ERROR);
const warnings = (d: Diag[]) => d.filter((x) => x.severity === Severity.WARNING);

/** The one error of a refused token, and what every such error says. */
function refused(d: Diag[], where: RegExp, secret: string): Diag {
  const errs = errors(d);
  assert.equal(errs.length, 1, JSON.stringify(d));
  const e = errs[0]!;
  assert.equal(e.summary, 'Provider credentials rejected');
  assert.match(e.detail, where);
  assert.match(e.detail, /tenant token .* expires/);
  assert.match(e.detail, /client_id and client_secret/);
  assert.ok(!JSON.stringify(d).includes(secret), 'the token is never shown');
  return e;
}

for (const kind of dbKinds()) {
  describe(`provider token checked at configure (${kind})`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('a wrong CLARESIA_TOKEN is one error naming CLARESIA_TOKEN, at no attribute', async () => {
      const d = await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: 'op_WRONGTOKENVALUE123' });
      const e = refused(d, /token \(from CLARESIA_TOKEN\): invalid token \(401 from GET \/api\/v1\/me\)\./, 'op_WRONGTOKENVALUE123');
      assert.deepEqual(steps(e), []);
    });

    it('a wrong token in the provider block is one error at token', async () => {
      const d = await configure({ endpoint: cp.url, token: 'op_WRONGTOKENVALUE123' });
      assert.deepEqual(steps(refused(d, /token \(from token in the provider block\)/, 'op_WRONGTOKENVALUE123')), ['token']);
    });

    it('a revoked tenant JWT is refused, saying so', async () => {
      const login = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret } });
      const jwt = login.body.access_token as string;
      assert.equal((await cp.request('POST', '/api/v1/auth/revoke', { token: jwt })).status, 204);
      refused(await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: jwt }), /CLARESIA_TOKEN\): token revoked \(401 /, jwt);
    });

    it('the operator token and a tenant JWT configure with no diagnostic', async () => {
      assert.deepEqual(await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken }), []);
      assert.deepEqual(await configure({ endpoint: cp.url, token: t.token }), []);
    });

    it('a token and client credentials both in the environment: a warning that CLARESIA_TOKEN is used', async () => {
      const d = await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret });
      assert.deepEqual(errors(d), []);
      const w = warnings(d);
      assert.equal(w.length, 1, JSON.stringify(d));
      assert.equal(w[0]!.summary, 'CLARESIA_TOKEN is used; CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET are ignored');
      assert.deepEqual(steps(w[0]), []);
      assert.ok(!JSON.stringify(d).includes(cp.operatorToken) && !JSON.stringify(d).includes(t.clientSecret));
    });

    it('a token and client credentials both in the block: a warning at token', async () => {
      const d = await configure({ endpoint: cp.url, token: cp.operatorToken, client_id: t.clientId, client_secret: t.clientSecret });
      assert.deepEqual(
        d.map((x) => [x.severity, x.summary, steps(x)]),
        [[Severity.WARNING, 'token is used; client_id and client_secret are ignored', ['token']]],
      );
    });

    it('a refused CLARESIA_TOKEN beside client credentials: the error and the warning saying they were not used', async () => {
      const d = await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: 'op_WRONGTOKENVALUE123', CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret });
      refused(d, /CLARESIA_TOKEN/, 'op_WRONGTOKENVALUE123');
      assert.equal(warnings(d).length, 1);
    });

    it('credentials in the block over the other kind in the environment: no warning (an aliased tenant provider beside an operator)', async () => {
      assert.deepEqual(await configure({ endpoint: cp.url, client_id: t.clientId, client_secret: t.clientSecret }, { CLARESIA_TOKEN: cp.operatorToken }), []);
      assert.deepEqual(await configure({ endpoint: cp.url, token: cp.operatorToken }, { CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret }), []);
    });
  });

  describe(`provider token expired at configure (${kind})`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { tokenTtlSeconds: 1 } });
    });
    after(async () => cp?.close());

    it('an expired tenant JWT is refused, saying a tenant token expires', async () => {
      const t = await cp.createTenant();
      // Waits for the expiry the control plane itself reports, not for a length of time.
      while ((await cp.request('GET', '/api/v1/me', { token: t.token })).status !== 401) await new Promise((r) => setTimeout(r, 200));
      refused(await configure({}, { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token }), /CLARESIA_TOKEN\): token expired \(401 /, t.token);
    });
  });
}

describe('provider token check when the control plane does not answer', () => {
  it('configures anyway: each request retries and reports it where it happens', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    assert.deepEqual(await configure({ endpoint: `http://127.0.0.1:${closed}`, token: 'op_unchecked' }), []);
  });
});
