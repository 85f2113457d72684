import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';

for (const kind of dbKinds()) {
  describe(`roster syncs as a resource [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    let dir: { id: string; bearer_token: string };

    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body !== undefined ? { body } : {}) });
    const scimUser = async (userName: string, title: string) => {
      const res = await cp.request('POST', `/scim/v2/${dir.id}/Users`, {
        token: dir.bearer_token,
        headers: { 'Content-Type': 'application/scim+json' },
        body: { schemas: [CORE], userName, emails: [{ value: userName, type: 'work' }], title, active: true },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      const res = await api('POST', '/api/v1/identity/scim/configure', { idp: 'okta' });
      assert.equal(res.status, 201, res.text);
      dir = res.body;
    });
    after(async () => cp?.close());

    it('runs a sync on create, reads it back from the stored report, lists it by id and forgets it on delete', async () => {
      await scimUser('ana@acme.example', 'Software Engineer');
      await scimUser('odd@acme.example', 'Wizard');
      const created = await api('POST', '/api/v1/roster/syncs', { triggers: { directory: dir.id } });
      assert.equal(created.status, 201, created.text);
      const s = created.body;
      assert.match(s.id, /^ssync_/);
      assert.deepEqual(
        { ...s, completed_at: undefined },
        {
          id: s.id,
          triggers: { directory: dir.id },
          completed_at: undefined,
          previous_sync_at: null,
          users_created: 2,
          users_updated: 0,
          users_deprovisioned: 0,
          users_reactivated: 0,
          groups_changed: 0,
          errors: 0,
          roster_members: 2,
          roster_unmatched: 1,
        },
      );
      const read = await api('GET', `/api/v1/roster/syncs/${s.id}`);
      assert.deepEqual(read.body, s);
      const listed = await api('GET', `/api/v1/roster/syncs?id=${s.id}&id=ssync_missing`);
      assert.deepEqual(listed.body.items, [s]);

      // A refresh never syncs again: the chain holds one completed sync.
      const events = await api('GET', '/api/v1/hub/governance-events?type=roster.scim_sync_completed');
      assert.equal(events.body.items.length, 1);

      assert.equal((await api('DELETE', `/api/v1/roster/syncs/${s.id}`)).status, 204);
      assert.equal((await api('GET', `/api/v1/roster/syncs/${s.id}`)).status, 404);
      assert.equal((await api('DELETE', `/api/v1/roster/syncs/${s.id}`)).status, 404);

      // The next sync still counts from the forgotten one.
      const next = await api('POST', '/api/v1/roster/syncs', {});
      assert.equal(next.status, 201, next.text);
      assert.equal(next.body.previous_sync_at, s.completed_at);
      assert.equal(next.body.users_created, 0);
      assert.equal(next.body.triggers, null);
    });

    it('rejects bad triggers naming the field, and syncs nothing', async () => {
      const before = (await api('GET', '/api/v1/roster/syncs')).body.items.length;
      const notString = await api('POST', '/api/v1/roster/syncs', { triggers: { a: 1 } });
      assert.equal(notString.status, 400, notString.text);
      assert.match(notString.body.error.field, /^triggers/);
      const tooLong = await api('POST', '/api/v1/roster/syncs', { triggers: { a: 'x'.repeat(501) } });
      assert.equal(tooLong.status, 400, tooLong.text);
      assert.equal(tooLong.body.error.field, 'triggers.a');
      const tooMany = await api('POST', '/api/v1/roster/syncs', { triggers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) });
      assert.equal(tooMany.status, 400, tooMany.text);
      assert.equal(tooMany.body.error.field, 'triggers');
      const unknown = await api('POST', '/api/v1/roster/syncs', { source: 'csv' });
      assert.equal(unknown.status, 400, unknown.text);
      assert.equal((await api('GET', '/api/v1/roster/syncs')).body.items.length, before);
    });
  });
}
