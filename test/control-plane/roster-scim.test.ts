import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

for (const kind of dbKinds()) {
  describe(`roster from SCIM [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    let dir: { id: string; bearer_token: string };
    const ids: Record<string, string> = {};

    const scim = (method: string, path: string, body?: unknown) =>
      cp.request(method, `/scim/v2/${dir.id}${path}`, { token: dir.bearer_token, ...(body ? { body } : {}), headers: { 'Content-Type': 'application/scim+json' } });
    const user = async (userName: string, title: string, extra: Record<string, unknown> = {}) => {
      const res = await scim('POST', '/Users', {
        schemas: [CORE, ENT],
        userName,
        name: { givenName: userName.split('@')[0], familyName: 'Test' },
        emails: [{ value: userName, type: 'work', primary: true }],
        title,
        active: true,
        [ENT]: extra,
      });
      assert.equal(res.status, 201, res.text);
      ids[userName] = res.body.id;
      return res.body.id as string;
    };
    const sync = async () => {
      const res = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const member = async (email: string) => (await cp.request('GET', `/api/v1/roster/members/${email}`, { token: t.token })).body;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      const res = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta' } });
      assert.equal(res.status, 201, res.text);
      dir = res.body;
    });
    after(async () => cp?.close());

    it('classifies synced users into the roster and reports it in the sync report', async () => {
      const boss = await user('vp@acme.example', 'Chief Executive Officer');
      await user('sam@acme.example', 'Sr. SDR', { department: 'Sales', manager: { value: boss } });
      await user('kim@acme.example', 'Ingegnere del Software');
      await user('odd@acme.example', 'Wizard');
      const report = await sync();
      assert.equal(report.users.created, 4);
      assert.deepEqual({ members: report.roster.members, created: report.roster.created, matched: report.roster.matched, unmatched: report.roster.unmatched }, { members: 4, created: 4, matched: 3, unmatched: 1 });
      assert.deepEqual(report.roster.unmatched_users.map((u: any) => u.email), ['odd@acme.example']);
      const sam = await member('sam@acme.example');
      assert.equal(sam.archetype, 'sales');
      assert.equal(sam.source, 'scim');
      assert.equal(sam.manager_email, 'vp@acme.example');
      assert.equal(sam.department, 'Sales');
      assert.equal((await member('vp@acme.example')).archetype, 'exec');
      assert.equal((await member('kim@acme.example')).archetype, 'eng');
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.archetype_assigned' });
      assert.equal(events.length, 3);
      assert.ok(events.every((e: any) => e.data.source === 'scim'));
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'roster.scim_sync_completed' }), 1);
    });

    it('keeps an override across syncs, follows title changes, and drops de-provisioned users from the active roster', async () => {
      await cp.request('PUT', '/api/v1/roster/members/odd@acme.example/archetype', { token: t.token, body: { archetype: 'ops' } });
      const r1 = await scim('PATCH', `/Users/${ids['odd@acme.example']}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Account Executive' }] });
      assert.equal(r1.status, 200, r1.text);
      const r2 = await scim('PATCH', `/Users/${ids['kim@acme.example']}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Data Scientist' }] });
      assert.equal(r2.status, 200, r2.text);
      // Entra's shape: "Replace" with a string "False".
      const r3 = await scim('PATCH', `/Users/${ids['sam@acme.example']}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      assert.equal(r3.status, 200, r3.text);
      const before = await cp.count('governance_events', { tenant_id: t.id, type: 'rbac.archetype_assigned' });
      const report = await sync();
      assert.equal(report.roster.unchanged, 2, 'the CEO did not change; sam left the active roster when de-provisioned, before the sync');
      const odd = await member('odd@acme.example');
      assert.equal(odd.archetype, 'ops', 'the override wins');
      assert.equal(odd.classified_archetype, 'sales');
      assert.equal((await member('kim@acme.example')).archetype, 'data');
      assert.equal((await member('sam@acme.example')).active, false);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'rbac.archetype_assigned' }), before + 1, 'only kim changed archetype');
      const roster = await cp.request('GET', '/api/v1/roster', { token: t.token });
      assert.equal(roster.body.summary.users, 3, 'active members only');
      assert.equal(roster.body.summary.unmatched, 0);
    });

    it('a SCIM DELETE de-provisions the member; removing the directory takes its users off the active roster', async () => {
      assert.equal((await scim('DELETE', `/Users/${ids['kim@acme.example']}`)).status, 204);
      await sync();
      assert.equal((await member('kim@acme.example')).active, false);
      const del = await cp.request('DELETE', `/api/v1/identity/scim/directories/${dir.id}`, { token: t.token });
      assert.equal(del.status, 204, del.text);
      const report = await sync();
      // Removing the directory de-provisions its users first, which takes them off the active roster at once.
      assert.equal(report.roster.deactivated, 0, 'vp and odd left with their directory');
      assert.equal((await member('vp@acme.example')).active, false);
      assert.equal((await member('odd@acme.example')).active, false);
      const roster = await cp.request('GET', '/api/v1/roster', { token: t.token });
      assert.equal(roster.body.summary.users, 0);
    });
  });
}
