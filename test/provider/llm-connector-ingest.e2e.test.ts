/**
 * claresia_llm_connector.ingest_credential with the real terraform: the secret the platform
 * sends telemetry with is returned once, at create. The provider keeps that value in state,
 * marked sensitive; a refresh (whose answer has it null) and an update keep it; an import,
 * which never saw it, holds null and plans nothing, again and again.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const PLATFORM_KEY = 'sk-ant-admin01-INGEST-e2e-7c41d0a9b2';

const config = (baseUrl: string, name: string, woVersion = true) => `${providerBlock}
variable "anthropic_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "claresia_llm_connector" "claude" {
  platform   = "claude"
  name       = ${JSON.stringify(name)}
  credential = var.anthropic_key
${woVersion ? '  credential_wo_version = 1\n' : ''}  base_url   = ${JSON.stringify(baseUrl)}
}

output "ingest_credential" {
  value     = claresia_llm_connector.claude.ingest_credential
  sensitive = true
}
`;

describe('claresia_llm_connector.ingest_credential with terraform', function () {
  this.timeout(240_000);
  let cp: TestControlPlane;
  let platforms: PlatformServer;
  let tenant: TenantFixture;
  let ws: Workspace;
  const instance = (w: Workspace) => w.state().resources.find((r: any) => r.type === 'claresia_llm_connector' && r.mode === 'managed').instances[0];
  const sendWith = (credential: string, invocationId: string) =>
    cp.request('POST', '/api/v1/telemetry/events', { token: credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: invocationId } });

  before(async () => {
    await buildProvider();
    platforms = await startPlatformServer();
    platforms.addAccount('claude', { credential: PLATFORM_KEY, scopes: ['skills'] });
    cp = await startControlPlane({ config: { allowPrivateUrls: true } });
    tenant = await cp.createTenant();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret, TF_VAR_anthropic_key: PLATFORM_KEY } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
    await platforms?.close();
  });

  it('create keeps the credential in state, marked sensitive, and it is the one the control plane accepts; re-plan is empty', async () => {
    ws.write('main.tf', config(platforms.baseUrl('claude'), 'Claude Enterprise'));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /ingest_credential\s+= \(sensitive value\)/);
    await ws.ok(['apply', '-auto-approve']);
    const inst = instance(ws);
    assert.match(inst.attributes.ingest_credential, /^ingest_[A-Za-z0-9_-]{43}$/);
    assert.match(inst.attributes.ingest_credential_rotated_at, /^\d{4}-\d\d-\d\dT/);
    assert.ok(
      JSON.stringify(inst.sensitive_attributes).includes('"ingest_credential"'),
      `state marks ingest_credential sensitive: ${JSON.stringify(inst.sensitive_attributes)}`,
    );
    const shown = await ws.ok(['show', '-no-color']);
    assert.match(shown.stdout, /ingest_credential\s+= \(sensitive value\)/);
    assert.ok(!shown.stdout.includes(inst.attributes.ingest_credential), 'terraform show does not print it');
    const out = JSON.parse((await ws.ok(['output', '-json'])).stdout);
    assert.equal(out.ingest_credential.sensitive, true);
    assert.equal(out.ingest_credential.value, inst.attributes.ingest_credential);

    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(instance(ws).attributes.ingest_credential, inst.attributes.ingest_credential, 'a refresh (null from the API) keeps it');

    // What the platform would do with it: the connector must pass its test to make the tenant live.
    const id = inst.attributes.id as string;
    assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${id}:test`, { token: tenant.token })).body.status, 'connected');
    const sent = await sendWith(inst.attributes.ingest_credential, 'tf-1');
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.body.tenant_live, true);
  });

  it('an update keeps the credential and plans nothing after', async () => {
    const before = instance(ws).attributes;
    ws.write('main.tf', config(platforms.baseUrl('claude'), 'Claude Enterprise (EU)'));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
    assert.doesNotMatch(plan.stdout, /ingest_credential\s+=.*->/, 'the credential is not planned to change');
    await ws.ok(['apply', '-auto-approve']);
    const after = instance(ws).attributes;
    assert.equal(after.name, 'Claude Enterprise (EU)');
    assert.equal(after.ingest_credential, before.ingest_credential);
    assert.equal(after.ingest_credential_rotated_at, before.ingest_credential_rotated_at);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    assert.equal((await sendWith(after.ingest_credential, 'tf-2')).status, 202);
  });

  it('import gives a null credential and no diff, plan after plan', async () => {
    const id = instance(ws).attributes.id as string;
    const other = workspace({ env: ws.env });
    try {
      other.write(
        'main.tf',
        // Without credential_wo_version: an import cannot know which version of the write-only
        // credential was sent, so naming one plans a resend, which is not what this test is about.
        `${config(platforms.baseUrl('claude'), 'Claude Enterprise (EU)', false)}\nimport {\n  to = claresia_llm_connector.claude\n  id = "${id}"\n}\n`,
      );
      const plan = await other.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
      await other.ok(['apply', '-auto-approve']);
      const inst = instance(other);
      assert.equal(inst.attributes.id, id);
      assert.equal(inst.attributes.ingest_credential, null);
      assert.equal(inst.attributes.ingest_credential_rotated_at, instance(ws).attributes.ingest_credential_rotated_at);
      await other.ok(['plan', '-detailed-exitcode'], 0);
      await other.ok(['apply', '-auto-approve']);
      await other.ok(['plan', '-detailed-exitcode'], 0);
      assert.equal(instance(other).attributes.ingest_credential, null);
    } finally {
      other.close();
    }
  });
});
