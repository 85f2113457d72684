/**
 * claresia_group_mapping with the real terraform: create (the group normalised to lowercase on
 * both sides, so the plan after apply is empty), change in place, import by id with a clean
 * plan, destroy; an unknown role fails at plan naming the attribute, a non-RBAC group at apply.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const config = (group: string, role: string, archetype?: string) => `${providerBlock}
resource "claresia_group_mapping" "pilot" {
  group = "${group}"
  role  = "${role}"${archetype ? `\n  archetype = "${archetype}"` : ''}
}
`;

describe('claresia_group_mapping with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  let ws: Workspace;
  const mapping = () => ws.state().resources.find((r: any) => r.type === 'claresia_group_mapping').instances[0].attributes;
  const read = (id: string) => cp.request('GET', `/api/v1/identity/group-mappings/${id}`, { token: t.token });

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    t = await cp.createTenant();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('creates a mapping and re-plans empty, the group lowercased on both sides', async () => {
    ws.write('main.tf', config('Claresia-Data-Pilot', 'member', 'data'));
    await ws.ok(['apply', '-auto-approve']);
    const m = mapping();
    assert.match(m.id, /^gm_[0-9a-f]{16}$/);
    const api = await read(m.id);
    assert.deepEqual([api.body.group, api.body.role, api.body.archetype], ['claresia-data-pilot', 'member', 'data']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('changes role and archetype in place', async () => {
    const id = mapping().id;
    ws.write('main.tf', config('Claresia-Data-Pilot', 'auditor'));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(mapping().id, id);
    const api = await read(id);
    assert.deepEqual([api.body.role, api.body.archetype], ['auditor', null]);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('refuses an unknown role at plan and a group outside claresia-* at apply, naming the attribute', async () => {
    ws.write('main.tf', config('Claresia-Data-Pilot', 'owner'));
    const bad = await ws.tf('plan');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /role/);
    ws.write('main.tf', config('engineering', 'member'));
    const outside = await ws.tf('apply', '-auto-approve');
    assert.notEqual(outside.code, 0);
    assert.match(outside.stderr, /claresia-/);
    assert.match(outside.stderr, /group/);
    ws.write('main.tf', config('Claresia-Data-Pilot', 'auditor'));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('imports by id with a clean plan, then destroys', async () => {
    const id = mapping().id;
    await ws.ok(['state', 'rm', 'claresia_group_mapping.pilot']);
    // Import reads the group as stored (lowercase): a configuration written that way plans clean.
    ws.write('main.tf', config('claresia-data-pilot', 'auditor'));
    await ws.ok(['import', 'claresia_group_mapping.pilot', id]);
    assert.equal(mapping().id, id);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal((await read(id)).status, 404);
  });
});
