import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { greenSamlConnection, provision, signIn, type ScimPeople } from './rbac-support.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';

/**
 * De-provisioning by every shape IdPs send, request by request: Okta's PATCH replace with a
 * value object, Entra's "Replace" with the string "False", a PUT, a DELETE.
 */
for (const kind of dbKinds()) {
  describe(`de-provisioning [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;
    let conn: string;
    let fromOkta: ScimPeople;
    let fromEntra: ScimPeople;

    before(async function () {
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');
      conn = await greenSamlConnection(cp, t, idp);
      const o = ['patch@acme.example', 'put@acme.example', 'delete@acme.example', 'back@acme.example'];
      fromOkta = await provision(cp, okta, o.map((email) => ({ email, title: 'Software Engineer' })), { 'claresia-users': o });
      fromEntra = await provision(cp, entra, [{ email: 'entra@acme.example', title: 'Account Executive' }], { 'claresia-users': ['entra@acme.example'] });
      assert.equal((await cp.request('POST', '/api/v1/skill-entitlement/coworks', { token: t.token, body: { pack: 'enterprise' } })).status, 201);
      assert.equal((await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token })).status, 200);
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    const signedIn = async (email: string) => {
      const res = await signIn(cp, idp, conn, email);
      assert.equal(res.status, 200, res.text);
      assert.equal((await cp.request('GET', '/api/v1/me', { token: res.body.access_token })).status, 200);
      return res.body.access_token as string;
    };
    const grantsOf = async (email: string) => (await computeGrants(cp.db, t.id)).filter((g) => g.email === email).map((g) => g.skill);

    /** Everything de-provisioning must have done, in the one transaction of the SCIM request. */
    async function assertDeprovisioned(email: string, userId: string, token: string, actor: string, via: string) {
      const refused = await cp.request('GET', '/api/v1/me', { token });
      assert.equal(refused.status, 401, 'the JWT is refused on the next call');
      assert.equal(refused.body.error.message, 'token revoked');
      const member = await cp.db('roster_members').where({ tenant_id: t.id, email }).first();
      assert.equal(member.active, false, 'the roster member is inactive');
      assert.deepEqual(await grantsOf(email), [], 'out of every entitlement set');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'user_deactivated', subject: userId }).orderBy('seq', 'desc').first();
      assert.equal(ev.actor, actor);
      assert.equal(ev.data.via, via);
      const revoked = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.access_revoked', subject: userId }).orderBy('seq', 'desc').first();
      assert.equal(revoked.seq, ev.seq - 1, 'recorded in the same transaction, just before user_deactivated');
      assert.equal(revoked.actor, actor);
      assert.equal(revoked.data.reason, 'deprovisioned');
      assert.equal(revoked.data.sessions_revoked, 1);
      assert.deepEqual(revoked.data.roster_members_deactivated, [member.id]);
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, id: revoked.data.distribution_request }), 1, 'a publish is queued');
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
    }

    it('Okta: PATCH replace {active: false} without a path', async () => {
      const email = 'patch@acme.example';
      const id = fromOkta.ids.get(email)!;
      const token = await signedIn(email);
      assert.ok((await grantsOf(email)).length > 0);
      const res = await scim(cp, okta)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.active, false);
      await assertDeprovisioned(email, id, token, 'okta:scim', 'patch');
    });

    it('Entra ID: PATCH "Replace" path active with the string "False"', async () => {
      const email = 'entra@acme.example';
      const id = fromEntra.ids.get(email)!;
      const token = await signedIn(email);
      const res = await scim(cp, entra)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      assert.equal(res.status, 200, res.text);
      await assertDeprovisioned(email, id, token, 'entra:scim', 'patch');
    });

    it('PUT with active false', async () => {
      const email = 'put@acme.example';
      const id = fromOkta.ids.get(email)!;
      const token = await signedIn(email);
      const res = await scim(cp, okta)('PUT', `/Users/${id}`, user(email, { title: 'Software Engineer', active: false }));
      assert.equal(res.status, 200, res.text);
      await assertDeprovisioned(email, id, token, 'okta:scim', 'put');
    });

    it('DELETE', async () => {
      const email = 'delete@acme.example';
      const id = fromOkta.ids.get(email)!;
      const token = await signedIn(email);
      const res = await scim(cp, okta)('DELETE', `/Users/${id}`);
      assert.equal(res.status, 204, res.text);
      await assertDeprovisioned(email, id, token, 'okta:scim', 'delete');
    });

    it('re-activation reverses it: roster member active, grants back, user_reactivated recorded; the old JWT stays revoked', async () => {
      const email = 'back@acme.example';
      const id = fromOkta.ids.get(email)!;
      const token = await signedIn(email);
      const granted = await grantsOf(email);
      const s = scim(cp, okta);
      assert.equal((await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status, 200);
      await assertDeprovisioned(email, id, token, 'okta:scim', 'patch');
      const res = await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
      assert.equal(res.status, 200, res.text);
      const member = await cp.db('roster_members').where({ tenant_id: t.id, email }).first();
      assert.equal(member.active, true);
      assert.deepEqual(await grantsOf(email), granted);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'user_reactivated', subject: id }).first();
      assert.equal(ev.actor, 'okta:scim');
      assert.deepEqual(ev.data.roster_members_reactivated, [member.id]);
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, id: ev.data.distribution_request }), 1);
      assert.equal((await cp.request('GET', '/api/v1/me', { token })).status, 401, 'sessions stay revoked');
      await signedIn(email);
      // A repeated de-provisioning is a no-op: no second event.
      const again = await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(again.status, 200);
      const before = await cp.count('governance_events', { tenant_id: t.id, type: 'user_deactivated', subject: id });
      assert.equal((await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status, 200);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'user_deactivated', subject: id }), before);
    });
  });
}
