/**
 * A value returned once (claresia_scim_directory.bearer_token, claresia_llm_connector
 * .ingest_credential) rotated through the API, outside Terraform (review r9 F1). With the real
 * terraform: the next refresh drops the dead value from state and warns at the attribute with
 * the rotation time, so a configuration that passes the value on plans a change instead of
 * planning nothing; the refresh after that says nothing more. No secret is in any output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const PLATFORM_KEY = 'sk-ant-admin01-ROTATED-OUTSIDE-5e8a21c7';

// The outputs stand for what the usual configuration feeds these values to (an IdP provider's
// SCIM settings, a platform's telemetry settings). Not terraform_data: Terraform prints its
// output attribute's prior value in clear in a plan, whatever the input's sensitivity.
const config = (baseUrl: string) => `${providerBlock}
variable "anthropic_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "claresia_scim_directory" "okta" {
  idp = "okta"
}

resource "claresia_llm_connector" "claude" {
  platform   = "claude"
  name       = "Claude"
  credential = var.anthropic_key
  base_url   = ${JSON.stringify(baseUrl)}
}

output "idp_token" {
  value     = claresia_scim_directory.okta.bearer_token
  sensitive = true
}

output "platform_credential" {
  value     = claresia_llm_connector.claude.ingest_credential
  sensitive = true
}
`;

for (const kind of dbKinds()) {
  describe(`returned-once values rotated outside Terraform [${kind}]`, function () {
    this.timeout(300_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let tenant: TenantFixture;
    let ws: Workspace;
    const attrs = (type: string) => ws.state().resources.find((r: any) => r.type === type && r.mode === 'managed').instances[0].attributes;

    before(async () => {
      await buildProvider();
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential: PLATFORM_KEY, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      tenant = await cp.createTenant();
      ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret, TF_VAR_anthropic_key: PLATFORM_KEY } });
    });
    after(async () => {
      ws?.close();
      await cp?.close();
      await platforms?.close();
    });

    it('a refresh drops the rotated value with a warning at the attribute, and what it was passed to plans a change', async () => {
      ws.write('main.tf', config(platforms.baseUrl('claude')));
      await ws.ok(['apply', '-auto-approve']);
      const dir = attrs('claresia_scim_directory');
      const conn = attrs('claresia_llm_connector');
      assert.match(dir.bearer_token, /^scim_/);
      assert.match(conn.ingest_credential, /^ingest_/);
      await ws.ok(['plan', '-detailed-exitcode'], 0);

      const scimRot = await cp.request('POST', `/api/v1/identity/scim/directories/${dir.id}/token:rotate`, { token: tenant.token, body: { token_overlap_seconds: 3600 } });
      assert.equal(scimRot.status, 200, scimRot.text);
      const ingestRot = await cp.request('POST', `/api/v1/llm/connectors/${conn.id}/ingest-credential:rotate`, { token: tenant.token, body: {} });
      assert.equal(ingestRot.status, 200, ingestRot.text);

      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      // Terraform wraps a diagnostic's text to its width.
      const out = (plan.stdout + plan.stderr).replace(/\s+/g, ' ');
      assert.match(out, /Changes to Outputs: - idp_token = \(sensitive value\) -> null - platform_credential = \(sensitive value\) -> null/);
      assert.match(out, /# claresia_scim_directory\.okta has changed ~ resource "claresia_scim_directory" "okta" \{ - bearer_token = \(sensitive value\) -> null/);
      assert.match(out, /# claresia_llm_connector\.claude has changed .{0,120}- ingest_credential = \(sensitive value\) -> null/);
      assert.doesNotMatch(out, /will be (updated|created|destroyed|replaced)/, 'the objects themselves plan nothing');

      assert.match(out, /Warning: bearer_token was rotated outside Terraform/);
      assert.match(out, /Warning: bearer_token was rotated outside Terraform with claresia_scim_directory\.okta,/);
      const scimWarning = out.slice(out.indexOf('Warning: bearer_token was rotated outside Terraform'));
      assert.ok(scimWarning.includes(`got a new bearer_token at ${scimRot.body.token_rotated_at} (token_rotated_at)`), scimWarning);
      assert.ok(scimWarning.includes(`stops working at ${scimRot.body.previous_token_expires_at}`), 'the overlap the rotation gave is said');
      assert.ok(scimWarning.includes(`POST /api/v1/identity/scim/directories/${dir.id}/token:rotate`));

      assert.match(out, /Warning: ingest_credential was rotated outside Terraform/);
      assert.match(out, /Warning: ingest_credential was rotated outside Terraform with claresia_llm_connector\.claude,/);
      const ingestWarning = out.slice(out.indexOf('Warning: ingest_credential was rotated outside Terraform'));
      assert.ok(ingestWarning.includes(`got a new ingest_credential at ${ingestRot.body.ingest_credential_rotated_at}`), ingestWarning);
      assert.match(ingestWarning, /the value Terraform held no longer works/);

      for (const s of [dir.bearer_token, conn.ingest_credential, scimRot.body.bearer_token, ingestRot.body.ingest_credential, PLATFORM_KEY]) {
        assert.ok(!out.includes(s), 'no secret in the plan output');
      }

      const applied = await ws.ok(['apply', '-auto-approve']);
      assert.match(applied.stdout, /rotated outside Terraform/);
      assert.equal(attrs('claresia_scim_directory').bearer_token, null);
      assert.equal(attrs('claresia_scim_directory').token_rotated_at, scimRot.body.token_rotated_at);
      assert.equal(attrs('claresia_llm_connector').ingest_credential, null);
      assert.equal(ws.state().outputs?.idp_token?.value ?? null, null, 'a null output leaves state');
      assert.equal(ws.state().outputs?.platform_credential?.value ?? null, null);
      const state = readFileSync(path.join(ws.dir, 'terraform.tfstate'), 'utf8');
      for (const s of [scimRot.body.bearer_token, ingestRot.body.ingest_credential]) assert.ok(!state.includes(s), 'the new values never reach state');

      // Said once: the plan after that is empty and says nothing more.
      const again = await ws.ok(['plan', '-detailed-exitcode'], 0);
      assert.doesNotMatch(again.stdout + again.stderr, /rotated outside Terraform/);
    });
  });
}
