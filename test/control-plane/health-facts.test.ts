import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { gatherFacts } from '../../control-plane/src/health/facts.js';
import { onboardingSteps } from '../../control-plane/src/health/onboarding.js';
import { makeDirectory, scim, user } from './scim/helpers.js';

for (const kind of dbKinds()) {
  describe(`health facts of SCIM users [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('count the users a SCIM DELETE has not deleted; the DELETE still counts as the IdP syncing', async () => {
      const t = await cp.createTenant();
      const s = scim(cp, await makeDirectory(cp, t));
      const a = await s('POST', '/Users', user('a@acme.example'));
      const b = await s('POST', '/Users', user('b@acme.example'));
      assert.deepEqual([a.status, b.status], [201, 201]);
      const before = await gatherFacts(cp.db, t.id);
      assert.equal(before.scim!.users, 2);

      const quiet = new Date(Date.now() - 2 * 3600_000);
      await cp.db('scim_users').where({ tenant_id: t.id }).update({ updated_at: quiet });
      assert.equal((await s('DELETE', `/Users/${a.body.id}`)).status, 204);
      const after = await gatherFacts(cp.db, t.id);
      assert.equal(after.scim!.users, 1, 'the deleted user is not counted');
      assert.ok(after.scim!.last_sync_at! > quiet, 'the DELETE is the latest change the IdP pushed');
      assert.equal(onboardingSteps(after).steps.find((x) => x.step === 5)!.done, true);

      assert.equal((await s('DELETE', `/Users/${b.body.id}`)).status, 204);
      const none = await gatherFacts(cp.db, t.id);
      assert.equal(none.scim!.users, 0);
      assert.equal(onboardingSteps(none).steps.find((x) => x.step === 5)!.done, false, 'no user synced once every user is deleted');
      assert.equal(await cp.count('scim_users', { tenant_id: t.id }), 2, 'the rows stay');
    });
  });
}
