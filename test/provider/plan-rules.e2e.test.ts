/**
 * The catalog's rules over several attributes, with the real terraform: a configuration that
 * breaks one fails `terraform plan` (and `apply` before any request), naming the attribute and
 * showing its line, instead of failing half-way through an apply. A value not known until
 * apply does not fail the plan; the rule is checked once it is known, still before any request.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

describe('cross-attribute rules at terraform plan', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  let ws: Workspace;
  const rows = async () => ({
    hubs: await cp.count('hubs', { tenant_id: t.id }),
    sso: await cp.count('sso_connections', { tenant_id: t.id }),
    events: await cp.count('governance_events', { tenant_id: t.id }),
  });

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    t = await cp.createTenant({ deployment_mode: 'B' });
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('a Mode B Hub without region fails plan and apply at the resource, naming region, and creates nothing', async () => {
    const before = await rows();
    ws.write('main.tf', `${providerBlock}\nresource "claresia_hub" "dedicated" {\n  mode = "B"\n}\n`);
    for (const cmd of [['plan'], ['apply', '-auto-approve']]) {
      const r = await ws.tf(...cmd);
      assert.notEqual(r.code, 0, `${cmd[0]} should fail: ${r.stdout}`);
      // region is absent, so Terraform shows the block that lacks it.
      assert.match(r.stderr, /Error: Missing required argument region[\s\S]*with claresia_hub\.dedicated,\n\s*on main\.tf line 7[^\n]*\n\s*7: resource "claresia_hub" "dedicated" \{[\s\S]*region is required in Mode B/, r.stderr);
      assert.doesNotMatch(r.stdout, /Creating/);
    }
    assert.deepEqual(await rows(), before, 'no Hub, no CMEK key event');
  });

  it('an OIDC setting on a SAML connection fails plan on that setting’s line', async () => {
    const before = await rows();
    ws.write(
      'main.tf',
      `${providerBlock}
resource "claresia_sso_connection" "okta" {
  name         = "Okta"
  protocol     = "saml"
  metadata_url = "https://acme.okta.example/app/exk1/sso/saml/metadata"
  client_id    = "0oa1b2c3"
}
`,
    );
    const r = await ws.tf('plan');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error: Invalid combination of arguments: client_id[\s\S]*on main\.tf line 11[^\n]*\n\s*11:\s+client_id\s+= "0oa1b2c3"[\s\S]*client_id does not apply to protocol saml/, r.stderr);
    assert.equal((r.stderr.match(/Error:/g) ?? []).length, 1, 'one failure, for the one broken rule');
    assert.deepEqual(await rows(), before);
  });

  it('a value known only at apply does not fail the plan', async () => {
    // The mode comes from another resource: unknown at plan, so neither rule is decided yet.
    ws.write(
      'main.tf',
      `${providerBlock}
resource "terraform_data" "mode" {
  input = "B"
}

resource "claresia_hub" "dedicated" {
  mode = terraform_data.mode.output
}
`,
    );
    const r = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(r.stdout, /claresia_hub\.dedicated will be created/);
    // At apply the mode is known: Terraform validates the Hub again before planning it for
    // real, and the rule refuses it there, before any request.
    const before = await rows();
    const applied = await ws.tf('apply', '-auto-approve');
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /Error: Missing required argument region[\s\S]*on main\.tf line 11[\s\S]*region is required in Mode B/, applied.stderr);
    assert.doesNotMatch(applied.stdout, /claresia_hub\.dedicated: Creating/);
    assert.deepEqual(await rows(), before);
  });
});
