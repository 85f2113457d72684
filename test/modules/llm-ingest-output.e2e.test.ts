/**
 * The tenant module hands each LLM connector's ingest credential to its caller (a sensitive
 * output), since resources inside a module cannot be read from outside: without it a module user
 * would have to rotate the credential through the API to learn one. Real terraform, real
 * control plane.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, type Workspace } from '../provider/support/terraform.js';
import { tenantModuleConfig, tenantModuleWorkspace } from './support.js';

const config = tenantModuleConfig({
  before: `variable "anthropic_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}`,
  tenant: { slug: 'acme-ingest' },
  inputs: `  llm_connectors  = { claude = { platform = "claude", name = "Claude Enterprise" } }
  llm_credentials = { claude = var.anthropic_api_key }`,
  after: `output "ingest" {
  value     = module.tenant.llm_ingest_credentials
  sensitive = true
}
output "connectors" {
  value = module.tenant.llm_connectors
}
`,
});

describe('terraform-claresia-tenant: llm_ingest_credentials output', function () {
  this.timeout(600_000);
  let cp: TestControlPlane;
  let ws: Workspace;

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    ({ ws } = tenantModuleWorkspace({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, TF_VAR_anthropic_api_key: 'sk-ant-admin01-MODULE-ingest-5b9c' }));
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it("gives each connector's credential by its key, sensitive, and it is the one the control plane accepts", async () => {
    ws.write('main.tf', config);
    await ws.ok(['init', '-input=false']);
    await ws.ok(['apply', '-auto-approve']);
    const out = JSON.parse((await ws.ok(['output', '-json'])).stdout);
    assert.equal(out.ingest.sensitive, true);
    assert.deepEqual(Object.keys(out.ingest.value), ['claude']);
    const credential = out.ingest.value.claude as string;
    assert.match(credential, /^ingest_[A-Za-z0-9_-]{43}$/);
    const shown = await ws.ok(['output', '-no-color']);
    assert.ok(!shown.stdout.includes(credential), 'terraform output hides it');
    // The connector is untested, so the smoke test refuses it; but it is the credential that is judged, not refused as unknown.
    const sent = await cp.request('POST', '/api/v1/telemetry/events', { token: credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: 'module-1' } });
    assert.equal(sent.status, 409, sent.text);
    assert.equal(sent.body.error.code, 'connector_not_connected');
    assert.ok(sent.body.error.message.includes(out.connectors.value.claude.id));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['destroy', '-auto-approve']);
  });
});
