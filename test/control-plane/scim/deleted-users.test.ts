import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, scim, user } from './helpers.js';

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
  });
}
