/**
 * ConfigureProvider and ValidateProviderConfig at their edges (review r5 F4, F6): refused
 * credentials are one diagnostic on the provider, never a resource's attribute of the same
 * name; request_timeout must be more than zero; a malformed endpoint is named with its source.
 */
import assert from 'node:assert/strict';
import { ClaresiaApiError } from '@claresia/client';
import { resourceByName } from '@claresia/catalog';
import { createProvider, encodeMsgpack, providerType, resolveConfig, type ObjectValue } from '@claresia/terraform-provider';
import { fromError } from '../../provider/src/diagnostics.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';

const dv = (t: Parameters<typeof encodeMsgpack>[0], v: any) => ({ msgpack: encodeMsgpack(t, v) });
const block = (v: Record<string, unknown>): ObjectValue => ({ endpoint: null, token: null, client_id: null, client_secret: null, request_timeout: null, max_retries: null, ...v }) as ObjectValue;
const steps = (d: any) => d.attribute?.steps?.map((s: any) => s.attribute_name ?? s.element_key_string ?? s.element_key_int) ?? [];
const CREDENTIAL_ENV = ['CLARESIA_ENDPOINT', 'CLARESIA_TOKEN', 'CLARESIA_CLIENT_ID', 'CLARESIA_CLIENT_SECRET'];

/** Runs fn with only the given CLARESIA_* variables set. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(CREDENTIAL_ENV.map((k) => [k, process.env[k]]));
  for (const k of CREDENTIAL_ENV) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

for (const kind of dbKinds()) {
  describe(`provider credentials refused at configure (${kind})`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('a wrong client_secret in the provider block is one error on that line of the provider block', async () => {
      const res = await withEnv({}, () => createProvider().ConfigureProvider!({ config: dv(providerType, block({ endpoint: cp.url, client_id: t.clientId, client_secret: 'cs_wrong' })) }));
      const diags = res.diagnostics as any[];
      assert.equal(diags.length, 1);
      assert.equal(diags[0].summary, 'Provider credentials rejected');
      assert.deepEqual(steps(diags[0]), ['client_secret']);
      assert.match(diags[0].detail, /client_secret in the provider block/);
      assert.doesNotMatch(diags[0].detail, /cs_wrong/);
    });

    it('a wrong CLARESIA_CLIENT_SECRET is named as such, with no attribute to point at', async () => {
      const res = await withEnv({ CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: 'cs_wrong' }, () => createProvider().ConfigureProvider!({ config: dv(providerType, block({})) }));
      const diags = res.diagnostics as any[];
      assert.equal(diags.length, 1);
      assert.equal(diags[0].summary, 'Provider credentials rejected');
      assert.deepEqual(steps(diags[0]), []);
      assert.match(diags[0].detail, /CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET/);
    });

    it('right credentials configure with no diagnostic', async () => {
      const res = await withEnv({}, () => createProvider().ConfigureProvider!({ config: dv(providerType, block({ endpoint: cp.url, client_id: t.clientId, client_secret: t.clientSecret })) }));
      assert.deepEqual(res.diagnostics, []);
    });
  });
}

describe('provider credential errors met by a resource', () => {
  it("never point at the resource's attribute of the same name", () => {
    const sso = resourceByName('sso_connection');
    const err = new ClaresiaApiError(401, 'invalid_client', 'the client_id/client_secret pair was rejected', 'client_secret', 'POST', '/api/v1/auth/token');
    const d = fromError(err, 'Creating claresia_sso_connection', sso.attributes) as any;
    assert.equal(d.summary, 'Provider credentials rejected');
    assert.equal(d.attribute, undefined);
    // The same field from the resource's own request is the resource's attribute.
    const own = fromError(new ClaresiaApiError(400, 'invalid', 'bad secret', 'client_secret', 'POST', '/api/v1/identity/sso/configure'), 'Creating claresia_sso_connection', sso.attributes) as any;
    assert.deepEqual(steps(own), ['client_secret']);
  });
});

describe('provider configuration edges', () => {
  it("refuses request_timeout = \"0s\" at validation, at request_timeout", async () => {
    const res = await createProvider().ValidateProviderConfig!({ config: dv(providerType, block({ request_timeout: '0s' })) });
    const diags = res.diagnostics as any[];
    assert.equal(diags.length, 1);
    assert.deepEqual(steps(diags[0]), ['request_timeout']);
    assert.match(diags[0].detail, /more than zero/);
    assert.deepEqual((await createProvider().ValidateProviderConfig!({ config: dv(providerType, block({ request_timeout: '500ms' })) })).diagnostics, []);
  });

  it('names a malformed endpoint at endpoint, saying whether the block or CLARESIA_ENDPOINT gave it', async () => {
    const fromBlock = (await createProvider().ValidateProviderConfig!({ config: dv(providerType, block({ endpoint: '127.0.0.1:18113' })) })).diagnostics as any[];
    assert.equal(fromBlock.length, 1);
    assert.deepEqual(steps(fromBlock[0]), ['endpoint']);
    assert.match(fromBlock[0].detail, /absolute URL/);
    const ftpBlock = (await createProvider().ValidateProviderConfig!({ config: dv(providerType, block({ endpoint: 'ftp://api.claresia.example' })) })).diagnostics as any[];
    assert.deepEqual(ftpBlock.map(steps), [['endpoint']]);
    assert.match(ftpBlock[0].detail, /endpoint in the provider block is a ftp URL, not http\(s\)/);

    const r = resolveConfig(block({}), { CLARESIA_ENDPOINT: '127.0.0.1:18113', CLARESIA_TOKEN: 'op_x' });
    assert.equal(r.options, undefined);
    assert.equal(r.diagnostics.length, 1);
    assert.deepEqual(steps(r.diagnostics[0]), ['endpoint']);
    assert.match(r.diagnostics[0]!.detail!, /CLARESIA_ENDPOINT is not a URL: "127\.0\.0\.1:18113"/);

    // A user name and password in the URL would go out as Basic authentication and into the log (review v4 F6).
    for (const [cfg, env, prefix] of [
      [block({ endpoint: 'https://ops:PWMARK@api.claresia.example' }), {}, 'endpoint in the provider block'],
      [block({}), { CLARESIA_ENDPOINT: 'http://ops:PWMARK@127.0.0.1:18944' }, 'CLARESIA_ENDPOINT'],
    ] as const) {
      const withUser = resolveConfig(cfg, { CLARESIA_TOKEN: 'op_x', ...env });
      assert.equal(withUser.options, undefined);
      assert.deepEqual(withUser.diagnostics.map(steps), [['endpoint']]);
      assert.match(withUser.diagnostics[0]!.detail!, new RegExp(`^${prefix} carries a user name or password`));
      assert.doesNotMatch(JSON.stringify(withUser.diagnostics), /PWMARK/);
    }

  });
});
