/**
 * A tenant and what lives inside it, in one configuration: the operator creates the tenant, a
 * second provider block signs in as the tenant's service account (its credentials are unknown
 * until the tenant exists), and manages an LLM connector (write-only credential), a SAML SSO
 * connection and a Hub (asynchronous: polled until ready).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const CREDENTIAL = 'sk-ant-admin01-WRITEONLY-4d1c9f27e8b3a6';

function config(opts: { connectorName: string; idpCert: string; hubTimeout?: string; credentialVersion?: number; baseUrl?: string }) {
  return `${providerBlock}
variable "anthropic_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "claresia_tenant" "t" {
  slug            = "inside-e2e"
  display_name    = "Inside Corp"
  region          = "eu-west-1"
  deployment_mode = "A"
  billing_contact = "billing@inside.example"
}

provider "claresia" {
  alias         = "tenant"
  client_id     = claresia_tenant.t.client_id
  client_secret = claresia_tenant.t.client_secret
}

resource "claresia_llm_connector" "claude" {
  provider   = claresia.tenant
  platform   = "claude"
  name       = ${JSON.stringify(opts.connectorName)}
  credential = var.anthropic_key
  credential_wo_version = ${opts.credentialVersion ?? 1}${opts.baseUrl ? `\n  base_url   = ${JSON.stringify(opts.baseUrl)}` : ''}
}

resource "claresia_sso_connection" "okta" {
  provider        = claresia.tenant
  name            = "Okta"
  protocol        = "saml"
  idp_sso_url     = "https://acme.okta.example/app/sso/saml"
  idp_entity_id   = "http://www.okta.com/exk1a2b3c4"
  idp_certificate = <<-PEM
${opts.idpCert.trim().split('\n').map((l) => '    ' + l).join('\n')}
  PEM
}

# Read after the tenant's own resources exist: its provider block is unknown until then.
data "claresia_tenant_health" "health" {
  provider   = claresia.tenant
  depends_on = [claresia_hub.hub, claresia_sso_connection.okta, claresia_llm_connector.claude]
}

output "hub_check" {
  value = [for c in data.claresia_tenant_health.health.checks : c.status if c.name == "hub"][0]
}

resource "claresia_hub" "hub" {
  provider = claresia.tenant
  mode     = "A"
  timeouts = { create = ${JSON.stringify(opts.hubTimeout ?? '2m')} }
}
`;
}

describe('tenant resources with terraform (tenant credentials from the same configuration)', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let ws: Workspace;
  const idpCert = generateServerCertificate().certPem;
  const attrs = (type: string) => ws.state().resources.find((r: any) => r.type === type && r.mode === 'managed').instances[0].attributes;

  before(async () => {
    await buildProvider();
    // The Hub provisioner reads its pace from the environment when the control plane starts.
    const pace = process.env.CLARESIA_HUB_POLL_MS;
    process.env.CLARESIA_HUB_POLL_MS ??= '200';
    cp = await startControlPlane();
    if (pace === undefined) delete process.env.CLARESIA_HUB_POLL_MS;
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, TF_VAR_anthropic_key: CREDENTIAL } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('plans with the tenant provider not yet configurable, applies, and re-plans empty', async () => {
    ws.write('main.tf', config({ connectorName: '  Claude Enterprise  ', idpCert }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /4 to add, 0 to change, 0 to destroy/);
    assert.match(plan.stdout, /data\.claresia_tenant_health\.health will be read during apply/);
    assert.match(plan.stdout, /credential\s+= \(write-only attribute\)/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);

    const tenantId = attrs('claresia_tenant').id;
    const tok = await cp.request('POST', '/api/v1/auth/token', {
      body: { grant_type: 'client_credentials', client_id: attrs('claresia_tenant').client_id, client_secret: attrs('claresia_tenant').client_secret },
    });
    const jwt = tok.body.access_token;
    const conn = await cp.request('GET', `/api/v1/llm/connectors/${attrs('claresia_llm_connector').id}`, { token: jwt });
    assert.equal(conn.status, 200);
    assert.equal(conn.body.name, 'Claude Enterprise', 'the API trimmed the name; state keeps the configured form');
    assert.equal(attrs('claresia_llm_connector').name, '  Claude Enterprise  ');
    const hub = await cp.request('GET', `/api/v1/hubs/${attrs('claresia_hub').id}`, { token: jwt });
    assert.equal(hub.body.status, 'ready');
    assert.equal(attrs('claresia_hub').status, 'ready', 'apply waited for the Hub to be ready');
    assert.equal(attrs('claresia_hub').tenant_id, tenantId);
    const sso = await cp.request('GET', `/api/v1/identity/sso/connections/${attrs('claresia_sso_connection').id}`, { token: jwt });
    assert.equal(sso.status, 200);
    assert.match(attrs('claresia_sso_connection').acs_url, /^http/);
    const out = JSON.parse((await ws.ok(['output', '-json'])).stdout);
    assert.equal(out.hub_check.value, 'green', 'the health data source, read after the Hub was ready, sees it');
  });

  it('keeps the write-only credential out of state and out of terraform show -json', async () => {
    assert.equal(attrs('claresia_llm_connector').credential, null);
    const raw = readFileSync(path.join(ws.dir, 'terraform.tfstate'), 'utf8');
    assert.doesNotMatch(raw, new RegExp(CREDENTIAL));
    const shown = await ws.ok(['show', '-json']);
    assert.doesNotMatch(shown.stdout, new RegExp(CREDENTIAL));
    assert.ok(shown.stdout.includes('claresia_llm_connector'));
  });

  it('updates a tenant-scoped resource in place and reads drift on it', async () => {
    ws.write('main.tf', config({ connectorName: 'Claude for Acme', idpCert }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_llm_connector\.claude will be updated in-place/);
    assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);

    const t = attrs('claresia_tenant');
    const jwt = (await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.client_id, client_secret: t.client_secret } })).body.access_token;
    const drift = await cp.request('PATCH', `/api/v1/llm/connectors/${attrs('claresia_llm_connector').id}`, { token: jwt, body: { name: 'Renamed in the portal' } });
    assert.equal(drift.status, 200);
    const again = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(again.stdout, /~ name\s+= "Renamed in the portal" -> "Claude for Acme"/);
  });

  it('writes no secret into the provider log, even at trace level', async () => {
    const logFile = path.join(ws.dir, 'trace.log');
    Object.assign(ws.env, { TF_LOG: 'trace', TF_LOG_PATH: logFile });
    try {
      await ws.ok(['apply', '-auto-approve']);
    } finally {
      delete ws.env.TF_LOG;
      delete ws.env.TF_LOG_PATH;
    }
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('provider.terraform-provider-claresia'));
    assert.ok(lines.some((l) => /\[TRACE\] provider\.terraform-provider-claresia: rpc: /.test(l)), 'the provider logged at trace level');
    const t = attrs('claresia_tenant');
    for (const secret of [CREDENTIAL, cp.operatorToken, t.client_secret]) {
      assert.equal(lines.filter((l) => l.includes(secret)).length, 0);
    }
  });

  it('sends a new write-only credential when its version changes, and only then', async () => {
    await ws.ok(['apply', '-auto-approve']); // put back the drift the previous test left
    const t = attrs('claresia_tenant');
    const jwt = (await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.client_id, client_secret: t.client_secret } })).body.access_token;
    const replaced = async () =>
      (await cp.request('GET', '/api/v1/hub/governance-events?type=connector.config_changed&limit=1000', { token: jwt })).body.items.filter((e: any) => e.data?.changes?.credential === 'replaced').length;
    const rotated = 'sk-ant-admin01-ROTATED-77aa1c0e93d2b5';
    ws.env.TF_VAR_anthropic_key = rotated; // the environment terraform runs with
    try {
      // A new value alone is invisible to Terraform: no change planned.
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      const before = await replaced();
      // Nor is it sent along with an unrelated change: the version says when to send it.
      ws.write('main.tf', config({ connectorName: 'Claude for Acme (renamed)', idpCert }));
      const rename = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.doesNotMatch(rename.stdout, /status\s+= "untested" -> \(known after apply\)/, 'a rename does not reset the test status');
      await ws.ok(['apply', '-auto-approve']);
      assert.equal(await replaced(), before, 'the rename did not carry the rotated credential');
      ws.write('main.tf', config({ connectorName: 'Claude for Acme', idpCert, credentialVersion: 2 }));
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /~ credential_wo_version\s+= 1 -> 2/);
      assert.match(plan.stdout, /~ status\s+= "untested" -> \(known after apply\)/, 'a new credential resets the test status');
      await ws.ok(['apply', '-auto-approve']);
      assert.equal(await replaced(), before + 1, 'the API re-sealed the credential');
      assert.doesNotMatch(readFileSync(path.join(ws.dir, 'terraform.tfstate'), 'utf8'), new RegExp(rotated));
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      ws.env.TF_VAR_anthropic_key = CREDENTIAL;
    }
  });

  it('puts base_url back to the platform default when it is removed from the configuration', async () => {
    const t = attrs('claresia_tenant');
    const jwt = (await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.client_id, client_secret: t.client_secret } })).body.access_token;
    const stored = async () => (await cp.request('GET', `/api/v1/llm/connectors/${attrs('claresia_llm_connector').id}`, { token: jwt })).body.base_url;
    const gateway = 'https://gateway.acme.example/anthropic';
    ws.write('main.tf', config({ connectorName: 'Claude for Acme', idpCert, baseUrl: gateway }));
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(await stored(), gateway);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    ws.write('main.tf', config({ connectorName: 'Claude for Acme', idpCert }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /~ base_url\s+= "https:\/\/gateway\.acme\.example\/anthropic" -> "https:\/\/api\.anthropic\.com"/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(await stored(), 'https://api.anthropic.com');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('destroys everything, the tenant last', async () => {
    const ids = ['claresia_llm_connector', 'claresia_sso_connection', 'claresia_hub', 'claresia_tenant'].map((t) => attrs(t).id);
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal(ws.state().resources.filter((r: any) => r.mode === 'managed').length, 0);
    assert.equal((await cp.request('GET', `/api/v1/tenants/${ids[3]}`, { token: cp.operatorToken })).status, 404);
  });
});
