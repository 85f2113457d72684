import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { gatherFacts } from '../../control-plane/src/health/facts.js';
import { onboardingSteps } from '../../control-plane/src/health/onboarding.js';
import { identityCheck } from '../../control-plane/src/health/checks.js';
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
      const before = await gatherFacts(cp.db, cp.server.ctx.keys, t.id);
      assert.equal(before.scim!.users, 2);

      const quiet = new Date(Date.now() - 2 * 3600_000);
      await cp.db('scim_users').where({ tenant_id: t.id }).update({ updated_at: quiet });
      assert.equal((await s('DELETE', `/Users/${a.body.id}`)).status, 204);
      const after = await gatherFacts(cp.db, cp.server.ctx.keys, t.id);
      assert.equal(after.scim!.users, 1, 'the deleted user is not counted');
      assert.ok(after.scim!.last_sync_at! > quiet, 'the DELETE is the latest change the IdP pushed');
      assert.equal(onboardingSteps(after).steps.find((x) => x.step === 5)!.done, true);

      assert.equal((await s('DELETE', `/Users/${b.body.id}`)).status, 204);
      const none = await gatherFacts(cp.db, cp.server.ctx.keys, t.id);
      assert.equal(none.scim!.users, 0);
      assert.equal(onboardingSteps(none).steps.find((x) => x.step === 5)!.done, false, 'no user synced once every user is deleted');
      assert.equal(await cp.count('scim_users', { tenant_id: t.id }), 2, 'the rows stay');
    });

    it('an IdP that only reads keeps SCIM fresh: each directory records its last authenticated request, at most once a minute', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t);
      const s = scim(cp, dir);
      assert.equal((await s('POST', '/Users', user('a@acme.example'))).status, 201);
      const hoursAgo = new Date(Date.now() - 5 * 3600_000);
      await cp.db('scim_users').where({ tenant_id: t.id }).update({ updated_at: hoursAgo });
      await cp.db('scim_directories').where({ id: dir.id }).update({ last_request_at: hoursAgo });
      const sso = { total: 1, tested: 1 };
      const quiet = await gatherFacts(cp.db, cp.server.ctx.keys, t.id);
      assert.equal(identityCheck({ ...quiet, sso }).status, 'red', 'five hours without a request');

      // Entra's cycle when nothing changed: reads only.
      assert.equal((await s('GET', '/Users?filter=userName%20eq%20%22a%40acme.example%22')).status, 200);
      const polled = await gatherFacts(cp.db, cp.server.ctx.keys, t.id);
      assert.ok(polled.scim!.last_request_at! > new Date(Date.now() - 60_000), 'the GET is recorded');
      assert.equal(polled.scim!.last_sync_at!.getTime(), hoursAgo.getTime(), 'and changed nothing');
      const check = identityCheck({ ...polled, sso });
      assert.equal(check.status, 'green', check.reason);
      assert.match(check.reason, /last change 5 h ago/);

      // Within the minute, further requests write nothing: the stamp stays as it was.
      const stamped = (await cp.db('scim_directories').where({ id: dir.id }).first('last_request_at')).last_request_at;
      for (let i = 0; i < 5; i++) assert.equal((await s('GET', '/ServiceProviderConfig')).status, 200);
      assert.equal((await cp.db('scim_directories').where({ id: dir.id }).first('last_request_at')).last_request_at.getTime(), new Date(stamped).getTime());
      const twoMinutes = new Date(Date.now() - 120_000);
      await cp.db('scim_directories').where({ id: dir.id }).update({ last_request_at: twoMinutes });
      assert.equal((await s('GET', '/Groups')).status, 200);
      assert.ok((await cp.db('scim_directories').where({ id: dir.id }).first('last_request_at')).last_request_at > twoMinutes, 'stamped again once a minute has passed');

      // A wrong token is no sign of the IdP.
      await cp.db('scim_directories').where({ id: dir.id }).update({ last_request_at: hoursAgo });
      assert.equal((await cp.request('GET', `${dir.base}/Users`, { token: 'scim_wrong' })).status, 401);
      assert.equal((await gatherFacts(cp.db, cp.server.ctx.keys, t.id)).scim!.last_request_at!.getTime(), hoursAgo.getTime());
    });
  });
}
