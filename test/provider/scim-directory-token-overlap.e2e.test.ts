/**
 * previous_token_expires_at, when a SCIM token replaced by a rotation stops working, is computed
 * and changes only when someone rotates the token through the API (Terraform does not rotate
 * it). With the real terraform: it plans nothing before or after such a rotation, an update after
 * one applies without "inconsistent result after apply", and a state written before the
 * attribute existed plans empty too.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane, type TenantFixture } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const config = (allowlist: string[]) => `${providerBlock}
resource "claresia_scim_directory" "okta" {
  idp          = "okta"
  ip_allowlist = ${JSON.stringify(allowlist)}
}
`;

describe('claresia_scim_directory.previous_token_expires_at with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let tenant: TenantFixture;
  let ws: Workspace;
  const attrs = () => ws.state().resources.find((r: any) => r.type === 'claresia_scim_directory').instances[0].attributes;

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    tenant = await cp.createTenant();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('is null after create and plans nothing', async () => {
    ws.write('main.tf', config(['198.51.100.0/24']));
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(attrs().previous_token_expires_at, null);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('an API rotation with an overlap plans nothing, reaches the state at refresh, and an update after it applies', async () => {
    const id = attrs().id;
    const rot = await cp.request('POST', `/api/v1/identity/scim/directories/${id}/token:rotate`, { token: tenant.token, body: { token_overlap_seconds: 3600 } });
    assert.equal(rot.status, 200, rot.text);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 0);
    assert.doesNotMatch(plan.stdout, /previous_token_expires_at/);
    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(attrs().previous_token_expires_at, rot.body.previous_token_expires_at);

    ws.write('main.tf', config(['198.51.100.0/24', '203.0.113.0/24']));
    const update = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(update.stdout, /0 to add, 1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(attrs().previous_token_expires_at, rot.body.previous_token_expires_at, 'an update leaves the overlap as it is');
    await ws.ok(['plan', '-detailed-exitcode'], 0);

    // Rotated again with no overlap: null at the next refresh, still no plan.
    assert.equal((await cp.request('POST', `/api/v1/identity/scim/directories/${id}/token:rotate`, { token: tenant.token })).status, 200);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(attrs().previous_token_expires_at, null);
  });

  it('plans nothing for a state written before the attribute existed', async () => {
    const file = path.join(ws.dir, 'terraform.tfstate');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    const instance = state.resources.find((r: any) => r.type === 'claresia_scim_directory').instances[0];
    delete instance.attributes.previous_token_expires_at;
    state.serial += 1;
    writeFileSync(file, JSON.stringify(state, null, 2));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['plan', '-refresh=false', '-detailed-exitcode'], 0);
    ws.write('main.tf', config(['198.51.100.0/24']));
    await ws.ok(['apply', '-refresh=false', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });
});
