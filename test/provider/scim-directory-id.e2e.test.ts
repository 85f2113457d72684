/**
 * directory_id, the runbook's name for a SCIM directory's id, is a computed attribute that
 * states written by earlier providers do not have. With the real terraform: such a state plans
 * empty (with and without a refresh), an update applied without a refresh does not trip
 * Terraform's "inconsistent result after apply", and the next refresh fills it in.
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

describe('claresia_scim_directory.directory_id with terraform', function () {
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

  it('is the id from the first apply on', async () => {
    ws.write('main.tf', config(['198.51.100.0/24']));
    await ws.ok(['apply', '-auto-approve']);
    assert.match(attrs().id, /^scim_[0-9a-f]{16}$/);
    assert.equal(attrs().directory_id, attrs().id);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('plans nothing for a state written before the attribute existed, and fills it at the next refresh', async () => {
    // What an earlier provider wrote: the same schema version, without the attribute.
    const file = path.join(ws.dir, 'terraform.tfstate');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    const instance = state.resources.find((r: any) => r.type === 'claresia_scim_directory').instances[0];
    delete instance.attributes.directory_id;
    state.serial += 1;
    writeFileSync(file, JSON.stringify(state, null, 2));
    const id = attrs().id;
    assert.equal(attrs().directory_id, undefined);

    const refreshed = await ws.ok(['plan', '-detailed-exitcode'], 0);
    assert.doesNotMatch(refreshed.stdout, /directory_id/);
    await ws.ok(['plan', '-refresh=false', '-detailed-exitcode'], 0);

    // An update planned on the old state holds directory_id at null; the API's answer has it.
    ws.write('main.tf', config(['198.51.100.0/24', '203.0.113.0/24']));
    const plan = await ws.ok(['plan', '-refresh=false', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
    assert.doesNotMatch(plan.stdout, /directory_id/);
    await ws.ok(['apply', '-refresh=false', '-auto-approve']);
    const api = await cp.request('GET', `/api/v1/identity/scim/directories/${id}`, { token: tenant.token });
    assert.deepEqual(api.body.ip_allowlist, ['198.51.100.0/24', '203.0.113.0/24']);

    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(attrs().directory_id, id);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    assert.match(attrs().bearer_token, /\S{20,}/, 'the shown-once token is kept throughout');
  });
});
