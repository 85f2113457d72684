import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { until } from '../../support/until.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { CORE_GROUP, makeDirectory, scim, user } from './helpers.js';

/** What the API says about a directory's users leaves out those a SCIM DELETE deleted. */
for (const kind of dbKinds()) {
  describe(`scim directories and deleted users [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('removing a directory counts the users it still provisioned, not those already deleted', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t);
      const s = scim(cp, d);
      const kept = await s('POST', '/Users', user('kept@acme.example'));
      const off = await s('POST', '/Users', user('off@acme.example', { active: false }));
      const gone = await s('POST', '/Users', user('gone@acme.example'));
      assert.deepEqual([kept.status, off.status, gone.status], [201, 201, 201]);
      assert.equal((await s('DELETE', `/Users/${gone.body.id}`)).status, 204);

      const del = await cp.request('DELETE', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token });
      assert.equal(del.status, 204, del.text);
      assert.equal(await cp.count('scim_users', { directory_id: d.id }), 0, 'every row goes with the directory');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.removed', subject: d.id }).first();
      assert.deepEqual([ev.data.users_removed, ev.data.users_deprovisioned], [2, 1]);
    });

    it("a user's DELETE takes the user's groups before the user, the order a group PATCH takes them", async function () {
      // Two connections must wait on each other to show the order; PGlite has one.
      if (kind !== 'pg') this.skip();
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t);
      const s = scim(cp, d);
      const u = await s('POST', '/Users', user('leaver@acme.example'));
      const g = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-leavers', members: [{ value: u.body.id }] });
      assert.equal(g.status, 201, g.text);
      let locked!: () => void;
      let release!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const held = new Promise<void>((r) => (release = r));
      let memberLock: unknown;
      // As a group PATCH does: the group row first, then its members FOR SHARE (checkMembers).
      const patch = cp.db.transaction(async (trx) => {
        await trx('scim_groups').where({ id: g.body.id }).forUpdate().select('id');
        locked();
        await held;
        memberLock = await trx.raw('SELECT id FROM scim_users WHERE id = ? FOR SHARE NOWAIT', [u.body.id]).then(
          (r) => r.rows.length,
          (err: { code?: string }) => err.code,
        );
      });
      await isLocked;
      const del = s('DELETE', `/Users/${u.body.id}`);
      try {
        await until('the DELETE waits on the group', async () => (await cp.db.raw(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%scim_groups%'`)).rows.length > 0);
      } finally {
        release();
        await patch;
      }
      // Had the DELETE locked the user first, this would be 55P03 (and a real PATCH a deadlock).
      assert.equal(memberLock, 1);
      assert.equal((await del).status, 204);
      assert.equal(await cp.count('scim_group_members', { group_id: g.body.id }), 0);
      assert.equal((await s('GET', `/Users/${u.body.id}`)).status, 404);
    });
  });
}
