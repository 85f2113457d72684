/**
 * examples/mode-a, mode-b and mode-c-byoc applied with the real terraform against a real control
 * plane, each re-planned with no changes (exit code 0) and destroyed. Mode C runs against a
 * local TLS endpoint that demands a client certificate and trusts the control plane's only once
 * it has been issued, as a BYOC customer's endpoint does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { http } from '../support/http.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { buildProvider } from '../provider/support/terraform.js';
import { exampleWorkspace, managedAddresses, type ExampleWorkspace } from './support.js';

const CREDENTIALS = {
  TF_VAR_anthropic_api_key: 'sk-ant-admin01-EXAMPLE-5f0c2d9e81a7b4',
  TF_VAR_slack_bot_token: 'xoxb-EXAMPLE-9d3e7a1c5b20f846',
  TF_VAR_openai_api_key: 'sk-proj-EXAMPLE-2b8e61f0d4c9a753',
};

/** The provisioner reads its pace when the control plane starts: fast polls and retries here. */
const PACE = { CLARESIA_HUB_POLL_MS: '200', CLARESIA_HUB_RETRY_MS: '200', CLARESIA_HUB_MAX_RETRY_MS: '1000' };

async function tenantToken(cp: TestControlPlane, ex: ExampleWorkspace): Promise<string> {
  const t = ex.state().resources.find((r: any) => r.type === 'claresia_tenant').instances[0].attributes;
  const res = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.client_id, client_secret: t.client_secret } });
  assert.equal(res.status, 200);
  return res.body.access_token;
}

function assertNoCredentialIn(ex: ExampleWorkspace) {
  const raw = readFileSync(path.join(ex.dir, 'terraform.tfstate'), 'utf8');
  for (const secret of Object.values(CREDENTIALS)) assert.ok(!raw.includes(secret), 'a write-only credential reached the state');
}

for (const kind of dbKinds()) describe(`examples applied with terraform through the tenant module (${kind})`, function () {
  this.timeout(300_000);
  let cp: TestControlPlane;

  before(async () => {
    await buildProvider();
    const saved = Object.fromEntries(Object.keys(PACE).map((k) => [k, process.env[k]]));
    Object.assign(process.env, PACE);
    try {
      // Mode C's endpoint is on loopback, which the control plane refuses unless told otherwise.
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  after(async () => {
    await cp?.close();
  });

  const env = () => ({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, ...CREDENTIALS });

  it('mode-a: applies the whole tenant, re-plans with no changes, destroys', async () => {
    // The test calls the SCIM endpoint from loopback, so loopback joins the allowlist.
    const ex = exampleWorkspace('mode-a', { ...env(), TF_VAR_scim_ip_allowlist: '["127.0.0.0/8", "2001:db8:42::/48"]' });
    try {
      await ex.ok(['init', '-input=false']);
      await ex.ok(['apply', '-auto-approve']);
      await ex.ok(['plan', '-detailed-exitcode'], 0);

      const out = await ex.outputs();
      assert.match(out.tenant_id, /^tnt_/);
      assert.ok(out.acs_url.startsWith(cp.url), out.acs_url);
      assert.ok(out.audience_uri.startsWith(cp.url), out.audience_uri);
      assert.deepEqual(Object.keys(out.llm_connectors).sort(), ['claude', 'slack']);
      assert.equal(out.health.checks.hub.status, 'green', 'health was read after the Hub was ready');
      assert.deepEqual(Object.keys(out.health.checks).sort(), ['audit', 'distribution', 'hub', 'identity', 'roster', 'skills', 'telemetry']);
      assert.equal(out.health.overall, 'red', 'no test login, connector test or smoke test has run');

      // The SCIM token the module outputs is the one the endpoint accepts.
      const token = out.scim_bearer_token as string;
      const users = await http(out.scim_endpoint_url, 'GET', '/Users', { token });
      assert.equal(users.status, 200, users.text);
      assert.equal((await http(out.scim_endpoint_url, 'GET', '/Users', { token: token + 'x' })).status, 401);

      const jwt = await tenantToken(cp, ex);
      const packs = await cp.request('GET', '/api/v1/skill-entitlement/coworks/go-to-market', { token: jwt });
      assert.deepEqual(packs.body.blocked_skills, ['claresia.exec.web-research']);
      const dir = await cp.request('GET', `/api/v1/identity/scim/directories/${out.scim_endpoint_url.split('/').pop()}`, { token: jwt });
      assert.deepEqual([...dir.body.ip_allowlist].sort(), ['127.0.0.0/8', '2001:db8:42::/48']);
      const mappings = await cp.request('GET', '/api/v1/identity/group-mappings', { token: jwt });
      const mapped = Object.fromEntries(mappings.body.items.map((m: any) => [m.group, [m.role, m.archetype]]));
      assert.deepEqual(mapped['claresia-sales-pilot'], ['member', 'sales']);
      assert.deepEqual(mapped['claresia-it-admins'], ['tenant_admin', null]);
      assert.equal(out.group_mappings['claresia-it-admins'], mappings.body.items.find((m: any) => m.group === 'claresia-it-admins').id);
      assertNoCredentialIn(ex);

      await ex.ok(['destroy', '-auto-approve']);
      assert.deepEqual(managedAddresses(ex.state()), []);
      assert.equal((await cp.request('GET', `/api/v1/tenants/${out.tenant_id}`, { token: cp.operatorToken })).status, 404);
    } finally {
      ex.close();
    }
  });

  it('mode-b: a dedicated Hub with its customer-managed key, SSO from metadata XML; re-plans with no changes, destroys', async () => {
    const ex = exampleWorkspace('mode-b', env());
    try {
      await ex.ok(['init', '-input=false']);
      await ex.ok(['apply', '-auto-approve']);
      await ex.ok(['plan', '-detailed-exitcode'], 0);

      const out = await ex.outputs();
      assert.ok(out.cmek_key_id, 'Mode B outputs the CMEK key id');
      const jwt = await tenantToken(cp, ex);
      const hub = await cp.request('GET', '/api/v1/hub', { token: jwt });
      assert.equal(hub.body.mode, 'B');
      assert.equal(hub.body.region, 'eu-central-1');
      assert.equal(hub.body.cmek_key_id, out.cmek_key_id);
      assert.equal(hub.body.status, 'ready');
      const tenant = await cp.request('GET', `/api/v1/tenants/${out.tenant_id}`, { token: cp.operatorToken });
      assert.equal(tenant.body.billing_contact, 'accounts.payable@globex.example', 'the API lowercased it; the plan above stayed empty');
      const sso = await cp.request('GET', '/api/v1/identity/sso/connections', { token: jwt });
      assert.equal(sso.body.items[0].idp_entity_id, 'https://sts.windows.net/5b1e8a9c-2f4d-4e61-9a7b-3c0d2e8f1a64/', 'read from the metadata');
      assertNoCredentialIn(ex);

      await ex.ok(['destroy', '-auto-approve']);
      assert.deepEqual(managedAddresses(ex.state()), []);
    } finally {
      ex.close();
    }
  });

  describe('mode-c-byoc', () => {
    let endpoint: MtlsEndpoint;
    before(async () => {
      endpoint = await startMtlsEndpoint();
    });
    after(async () => {
      await endpoint?.close();
    });

    it('waits for the endpoint to trust the issued certificate, outputs what the customer pins, re-plans with no changes, destroys', async () => {
      const ex = exampleWorkspace('mode-c-byoc', { ...env(), TF_VAR_mtls_endpoint_url: endpoint.url, TF_VAR_customer_ca_certificate: endpoint.ca.pem, TF_VAR_hub_create_timeout: '2m' });
      try {
        await ex.ok(['init', '-input=false']);
        const applying = ex.tf('apply', '-auto-approve');
        // The customer's side: the certificate is issued when the Hub is requested; the endpoint trusts it once it appears.
        let pem: string | undefined;
        for (let i = 0; i < 600 && !pem; i++) {
          const row = await cp.db('hubs').where({ mtls_endpoint_url: endpoint.url }).whereNull('deleted_at').first('client_certificate');
          pem = row?.client_certificate ?? undefined;
          if (!pem) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(pem, 'the control plane issued a client certificate for the Hub');
        assert.equal(endpoint.requests.length, 0, 'no request got through before the endpoint trusted the certificate');
        endpoint.trust(pem);
        const applied = await applying;
        assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);
        await ex.ok(['plan', '-detailed-exitcode'], 0);

        const out = await ex.outputs();
        assert.equal(out.mtls_endpoint_url, endpoint.url);
        assert.equal(out.control_plane_client_certificate.trim(), pem.trim());
        assert.ok(endpoint.requests.some((r) => r.clientFingerprint === out.control_plane_client_certificate_sha256), 'the endpoint saw the pinned certificate');
        const { X509Certificate } = await import('node:crypto');
        assert.deepEqual(out.customer_ca_certificate_sha256, [new X509Certificate(endpoint.ca.pem).fingerprint256]);
        assert.equal(out.health.checks.hub.status, 'green');
        assertNoCredentialIn(ex);

        await ex.ok(['destroy', '-auto-approve']);
        assert.deepEqual(managedAddresses(ex.state()), []);
      } finally {
        ex.close();
      }
    });
  });
});
