/**
 * claresia_roster_sync with the real terraform: a sync runs once at create, refreshes read the
 * stored report (no second sync), a new trigger replaces it with a new sync, and an existing
 * sync imports by id with a clean plan.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const config = (trigger: string, withSync = true) => `${providerBlock}
resource "claresia_scim_directory" "okta" {
  idp = "okta"
}
${
  withSync
    ? `
resource "claresia_roster_sync" "roster" {
  triggers = {
    directory = claresia_scim_directory.okta.id
    round     = "${trigger}"
  }
}

output "members" {
  value = claresia_roster_sync.roster.roster_members
}
`
    : ''
}`;

describe('claresia_roster_sync with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  let ws: Workspace;
  const sync = () => ws.state().resources.find((r: any) => r.type === 'claresia_roster_sync').instances[0].attributes;
  const syncEvents = async () => (await cp.request('GET', '/api/v1/hub/governance-events?type=roster.scim_sync_completed', { token: t.token })).body.items.length;

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

  it('runs the sync once at create and re-plans empty without syncing again', async () => {
    ws.write('main.tf', config('1', false));
    await ws.ok(['apply', '-auto-approve']);
    const dir = ws.state().resources.find((r: any) => r.type === 'claresia_scim_directory').instances[0].attributes;
    for (const [userName, title] of [['ana@acme.example', 'Staff Software Engineer'], ['bo@acme.example', 'Account Executive']]) {
      const res = await cp.request('POST', `/scim/v2/${dir.id}/Users`, {
        token: dir.bearer_token,
        headers: { 'Content-Type': 'application/scim+json' },
        body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, emails: [{ value: userName, type: 'work' }], title, active: true },
      });
      assert.equal(res.status, 201, res.text);
    }
    ws.write('main.tf', config('1'));
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(sync().users_created, 2);
    assert.equal(sync().roster_members, 2);
    assert.equal(sync().roster_unmatched, 0);
    assert.equal(sync().previous_sync_at, null);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(await syncEvents(), 1, 'refreshes read the stored report');
  });

  it('runs a new sync when a trigger changes, counting from the previous one', async () => {
    const first = sync();
    ws.write('main.tf', config('2'));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /must be replaced/);
    assert.match(plan.stdout, /1 to add, 0 to change, 1 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    assert.notEqual(sync().id, first.id);
    assert.equal(sync().previous_sync_at, first.completed_at);
    assert.equal(sync().users_created, 0);
    assert.equal(await syncEvents(), 2);
    assert.equal((await cp.request('GET', `/api/v1/roster/syncs/${first.id}`, { token: t.token })).status, 404, 'the replaced sync was forgotten');
  });

  it('imports an existing sync by id with a clean plan', async () => {
    const id = sync().id;
    await ws.ok(['state', 'rm', 'claresia_roster_sync.roster']);
    await ws.ok(['import', 'claresia_roster_sync.roster', id]);
    assert.equal(sync().id, id);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal((await cp.request('GET', `/api/v1/roster/syncs/${id}`, { token: t.token })).status, 404);
  });

  it('treats triggers = {} and no triggers alike: no replacement, no new sync', async () => {
    const bare = (triggers: string) => `${providerBlock}\nresource "claresia_roster_sync" "plain" {\n${triggers}}\n`;
    ws.write('main.tf', bare('  triggers = {}\n'));
    await ws.ok(['apply', '-auto-approve']);
    const id = ws.state().resources[0].instances[0].attributes.id;
    const events = await syncEvents();
    // Terraform records the configuration's null in place of {}: an update that calls no API.
    for (const triggers of ['', '  triggers = {}\n']) {
      ws.write('main.tf', bare(triggers));
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
      assert.doesNotMatch(plan.stdout, /must be replaced/);
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    }
    assert.equal(ws.state().resources[0].instances[0].attributes.id, id);
    assert.equal(await syncEvents(), events, 'no new sync ran');
  });

  it('refuses at plan a trigger value longer than the API keeps', async () => {
    ws.write('main.tf', `${providerBlock}\nresource "claresia_roster_sync" "long" {\n  triggers = { note = "${'x'.repeat(501)}" }\n}\n`);
    const plan = await ws.tf('plan');
    assert.notEqual(plan.code, 0);
    assert.match(plan.stderr.replace(/\s+/g, ' '), /triggers/);
    assert.match(plan.stderr.replace(/\s+/g, ' '), /500/);
    ws.write('main.tf', providerBlock);
    await ws.ok(['apply', '-auto-approve']);
  });
});
