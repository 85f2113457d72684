import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { greenSamlConnection, signIn } from './rbac-support.js';
import { until } from '../support/until.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';

/**
 * The roster follows people, not SCIM users: one person provisioned by two directories (an
 * Okta-to-Entra migration), and a person whose address changes in the IdP, each keep one member
 * whose state and grants are theirs.
 */
for (const kind of dbKinds()) {
  describe(`roster follows the person [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;
    let conn: string;

    before(async function () {
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');
      conn = await greenSamlConnection(cp, t, idp);
      assert.equal((await cp.request('POST', '/api/v1/skill-entitlement/coworks', { token: t.token, body: { pack: 'enterprise' } })).status, 201);
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    const sync = async () => {
      const res = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const create = async (dir: Directory, userName: string, extra: Record<string, unknown> = {}) => {
      const res = await scim(cp, dir)('POST', '/Users', user(userName, extra));
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    const patch = async (dir: Directory, id: string, ops: unknown[]) => {
      const res = await scim(cp, dir)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: ops });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const roster = async () => (await cp.request('GET', '/api/v1/roster?limit=1000', { token: t.token })).body.items as any[];
    const membersAt = async (email: string) => (await roster()).filter((m) => m.email === email);
    const row = (email: string) => cp.db('roster_members').where({ tenant_id: t.id, email }).first();
    const grantsOf = async (email: string) => (await computeGrants(cp.db, t.id)).filter((g) => g.email === email).map((g) => g.skill);
    const lastEvent = (type: string, subject?: string) =>
      cp.db('governance_events').where({ tenant_id: t.id, type, ...(subject ? { subject } : {}) }).orderBy('seq', 'desc').first();

    describe('one person in two directories', () => {
      const email = 'alice@acme.example';
      let inOkta: string;
      let inEntra: string;

      it('both copies active: one active member, its data from the copy changed last', async () => {
        inOkta = await create(okta, email, { title: 'Software Engineer' });
        inEntra = await create(entra, email, { title: 'Staff Software Engineer' });
        await sync();
        let [m] = await membersAt(email);
        assert.equal((await membersAt(email)).length, 1);
        assert.equal(m.active, true);
        assert.equal(m.title, 'Staff Software Engineer', 'the Entra copy was written last');
        await patch(okta, inOkta, [{ op: 'replace', path: 'title', value: 'Principal Software Engineer' }]);
        await sync();
        [m] = await membersAt(email);
        assert.equal(m.title, 'Principal Software Engineer', 'now the Okta copy was changed last');
        assert.equal((await row(email)).scim_user_id, inOkta);
        assert.ok((await grantsOf(email)).length > 0);
      });

      it('Okta deactivates its copy: the member stays active, keeps its grants, no session is revoked; a sync keeps it so', async () => {
        const first = await signIn(cp, idp, conn, email);
        assert.equal(first.status, 200, first.text);
        const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user', revoked_at: null });
        const member = await row(email);

        await patch(okta, inOkta, [{ op: 'replace', value: { active: false } }]);
        assert.equal((await row(email)).active, true, 'Entra still holds her as active');
        assert.equal((await row(email)).scim_user_id, inEntra, 'the member follows the active copy, whose state decides its grants');
        assert.ok((await grantsOf(email)).length > 0, 'her skills stay');
        assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user', revoked_at: null }), sessions, 'no session revoked');
        const revoked = await lastEvent('rbac.access_revoked', inOkta);
        assert.equal(revoked.data.sessions_revoked, 0);
        assert.deepEqual(revoked.data.roster_members_deactivated, []);
        assert.deepEqual(revoked.data.roster_members_kept_active, [member.id]);

        await sync();
        const [m] = await membersAt(email);
        assert.equal(m.active, true, 'the inactive Okta copy does not win over the active Entra one');
        assert.equal(m.title, 'Staff Software Engineer', 'the data is the active copy’s');
        assert.equal(m.id, member.id);
        assert.ok((await grantsOf(email)).length > 0);
        const again = await signIn(cp, idp, conn, email);
        assert.equal(again.status, 200, 'she signs in through the Entra copy');
        assert.equal((await cp.request('GET', '/api/v1/me', { token: again.body.access_token })).status, 200);
      });

      it('the last active copy deactivated: the member goes inactive and its grants go; re-activating a copy brings it back', async () => {
        await patch(entra, inEntra, [{ op: 'Replace', path: 'active', value: 'False' }]);
        assert.equal((await row(email)).active, false);
        assert.deepEqual(await grantsOf(email), []);
        await sync();
        assert.equal((await row(email)).active, false);
        await patch(okta, inOkta, [{ op: 'replace', value: { active: true } }]);
        const back = await row(email);
        assert.equal(back.active, true);
        assert.equal(back.scim_user_id, inOkta, 'pointed at the copy that is active again');
        assert.ok((await grantsOf(email)).length > 0);
        await sync();
        const [m] = await membersAt(email);
        assert.equal(m.active, true);
        assert.equal(m.title, 'Principal Software Engineer');
      });
    });

    describe('an address that changes in the IdP', () => {
      it('a new work email moves the member, with its id and override, and the grants follow', async () => {
        const id = await create(okta, 'u010@acme.example', { title: 'Software Engineer' });
        await sync();
        const before = await row('u010@acme.example');
        const override = await cp.request('PUT', '/api/v1/roster/members/u010@acme.example/archetype', { token: t.token, body: { archetype: 'data' } });
        assert.equal(override.status, 200, override.text);
        const skills = await grantsOf('u010@acme.example');
        assert.ok(skills.length > 0);
        // A request still pending would take this publish in (requestRepublish keeps one per tenant).
        await until('no pending publish', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0);
        const requests = await cp.count('distribution_requests', { tenant_id: t.id });

        await patch(okta, id, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'u010-new@acme.example' }]);
        const report = await sync();
        assert.equal(report.roster.moved, 1);
        assert.deepEqual(await membersAt('u010@acme.example'), [], 'the old address is gone from the roster');
        const [m] = await membersAt('u010-new@acme.example');
        assert.equal(m.id, before.id, 'the same member');
        assert.equal(m.active, true);
        assert.equal(m.override_archetype, 'data', "the admin's override stays");
        assert.deepEqual(await grantsOf('u010@acme.example'), []);
        assert.deepEqual(await grantsOf('u010-new@acme.example'), skills);
        const changed = await lastEvent('roster.scim_members_changed');
        assert.deepEqual(changed.data.moved, [{ id: before.id, scim_user_id: id, from: 'u010@acme.example', to: 'u010-new@acme.example' }]);
        assert.equal(await cp.count('distribution_requests', { tenant_id: t.id }), requests + 1, 'a publish is queued');
        assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, requested_by: changed.actor, reason: 'roster members moved or (de)activated by a SCIM sync' }) > 0, true);
      });

      it('a new address that already has a member: that one takes the user, the old one leaves the active roster', async () => {
        const csv = 'email,first_name,last_name,title,department,manager_email\nu011-new@acme.example,U,Eleven,Account Executive,Sales,\n';
        assert.equal((await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'Content-Type': 'text/csv' } })).status, 200);
        const id = await create(okta, 'u011@acme.example', { title: 'Software Engineer' });
        await sync();
        const old = await row('u011@acme.example');
        assert.equal(old.active, true);

        await patch(okta, id, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'u011-new@acme.example' }]);
        const report = await sync();
        assert.equal(report.roster.moved, 0);
        assert.equal(report.roster.deactivated, 1);
        const active = (await roster()).filter((m) => m.active && m.email.startsWith('u011'));
        assert.deepEqual(active.map((m) => m.email), ['u011-new@acme.example']);
        const now = await row('u011-new@acme.example');
        assert.equal(now.scim_user_id, id);
        assert.equal(now.source, 'scim');
        assert.equal(now.title, 'Software Engineer');
        assert.deepEqual(await grantsOf('u011@acme.example'), []);
        assert.ok((await grantsOf('u011-new@acme.example')).length > 0);
      });

      it('a new userName, when the userName is the address, moves the member too', async () => {
        const res = await scim(cp, okta)('POST', '/Users', { ...user('u012@acme.example', { title: 'Software Engineer' }), emails: undefined });
        assert.equal(res.status, 201, res.text);
        await sync();
        const before = await row('u012@acme.example');
        assert.ok(before);
        await patch(okta, res.body.id, [{ op: 'replace', path: 'userName', value: 'u012-new@acme.example' }]);
        await sync();
        assert.deepEqual((await roster()).filter((m) => m.email.startsWith('u012')).map((m) => [m.email, m.id, m.active]), [['u012-new@acme.example', before.id, true]]);
      });

      it('an address change followed by de-provisioning, before any sync: the member moves and turns off there; re-activation turns it on there', async () => {
        const id = await create(okta, 'u014@acme.example', { title: 'Software Engineer' });
        await sync();
        const before = await row('u014@acme.example');
        await patch(okta, id, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'u014-new@acme.example' }]);
        await patch(okta, id, [{ op: 'replace', value: { active: false } }]);
        const revoked = await lastEvent('rbac.access_revoked', id);
        assert.deepEqual(revoked.data.roster_members_moved, [{ id: before.id, scim_user_id: id, from: 'u014@acme.example', to: 'u014-new@acme.example' }]);
        assert.deepEqual(revoked.data.roster_members_deactivated, [before.id]);
        assert.deepEqual((await roster()).filter((m) => m.email.startsWith('u014')).map((m) => [m.email, m.id, m.active]), [['u014-new@acme.example', before.id, false]]);
        await patch(okta, id, [{ op: 'replace', value: { active: true } }]);
        assert.deepEqual((await roster()).filter((m) => m.email.startsWith('u014')).map((m) => [m.email, m.active]), [['u014-new@acme.example', true]]);
        assert.ok((await grantsOf('u014-new@acme.example')).length > 0);
        assert.deepEqual(await grantsOf('u014@acme.example'), []);
      });

      it('the old address still held by a copy in another directory: it stays with that copy, the moved user gets a member of their own', async () => {
        const inOkta = await create(okta, 'u013@acme.example', { title: 'Software Engineer' });
        const inEntra = await create(entra, 'u013@acme.example', { title: 'Software Engineer' });
        await sync();
        await patch(okta, inOkta, [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'u013-new@acme.example' }]);
        await sync();
        const old = await row('u013@acme.example');
        const moved = await row('u013-new@acme.example');
        assert.equal(old.active, true);
        assert.equal(old.scim_user_id, inEntra);
        assert.equal(moved.active, true);
        assert.equal(moved.scim_user_id, inOkta);
      });
    });
  });
}
