import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory, PATCH_OP, scim, type Directory } from './scim/helpers.js';
import { addMember, greenSamlConnection, provision, removeMember, signIn, type ScimPeople } from './rbac-support.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';

for (const kind of dbKinds()) {
  describe(`rbac: user sign-in and roles [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    let dir: Directory;
    let conn: string;
    let people: ScimPeople;

    before(async function () {
      // Starting PGlite, migrating and provisioning take a while on a busy machine.
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      dir = await makeDirectory(cp, t, 'okta');
      conn = await greenSamlConnection(cp, t, idp);
      people = await provision(
        cp,
        dir,
        [
          { email: 'admin@acme.example', title: 'Software Engineer' },
          { email: 'auditor@acme.example', title: 'Software Engineer' },
          { email: 'member@acme.example', title: 'Software Engineer' },
          { email: 'pilot@acme.example', title: 'Account Executive' },
          { email: 'outsider@acme.example', title: 'Software Engineer' },
          { email: 'mover@acme.example', title: 'Software Engineer' },
        ],
        {
          'claresia-admins': ['admin@acme.example'],
          'claresia-auditors': ['auditor@acme.example'],
          'Claresia-Users': ['member@acme.example', 'mover@acme.example'],
          'claresia-eng-pilot': ['pilot@acme.example'],
          engineering: ['outsider@acme.example', 'member@acme.example'],
        },
      );
      const pack = await cp.request('POST', '/api/v1/skill-entitlement/coworks', { token: t.token, body: { pack: 'enterprise' } });
      assert.equal(pack.status, 201, pack.text);
      const sync = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(sync.status, 200, sync.text);
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    const tokenOf = async (email: string) => {
      const res = await signIn(cp, idp, conn, email);
      assert.equal(res.status, 200, res.text);
      return res.body.access_token as string;
    };

    it('signs a user in through the SSO connection (AuthnRequest out, signed assertion back) and issues a user JWT that works', async () => {
      const res = await signIn(cp, idp, conn, 'Admin@Acme.example');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.role, 'tenant_admin');
      assert.equal(res.body.email, 'admin@acme.example');
      assert.equal(res.body.subject_id, people.ids.get('admin@acme.example'));
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const me = await cp.request('GET', '/api/v1/me', { token: res.body.access_token });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.role, 'tenant_admin');
      assert.equal(me.body.email, 'admin@acme.example');
      assert.deepEqual(me.body.groups, ['claresia-admins']);
      const login = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login', subject: res.body.subject_id }).first();
      assert.equal(login.actor, 'admin@acme.example');
      assert.equal(login.data.method, 'sso');
      assert.equal(login.data.role, 'tenant_admin');
      const session = await cp.db('auth_sessions').where({ tenant_id: t.id, subject_type: 'user', subject_id: res.body.subject_id }).first();
      assert.ok(session, 'the session is recorded, so it can be revoked');
    });

    it('enforces roles in the router: tenant_admin writes, auditor reads and governance events, member only its own data', async () => {
      const admin = await tokenOf('admin@acme.example');
      const auditor = await tokenOf('auditor@acme.example');
      const member = await tokenOf('member@acme.example');
      const write = (token: string) => cp.request('POST', '/api/v1/service-accounts', { token, body: { name: `by-${token.slice(-6)}` } });
      assert.equal((await write(admin)).status, 201);
      const denied = await write(auditor);
      assert.equal(denied.status, 403);
      assert.match(denied.body.error.message, /needs the tenant_admin role; this token has auditor/);
      assert.equal((await write(member)).status, 403);

      for (const path of ['/api/v1/hub/governance-events', '/api/v1/hub/governance-events:verify', '/api/v1/roster', '/api/v1/identity/group-mappings']) {
        assert.equal((await cp.request('GET', path, { token: auditor })).status, 200, `auditor reads ${path}`);
        const m = await cp.request('GET', path, { token: member });
        assert.equal(m.status, 403, `member may not read ${path}`);
        assert.match(m.body.error.message, /needs the auditor role; this token has member/);
      }
      const me = await cp.request('GET', '/api/v1/me', { token: member });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, 'member');
      assert.deepEqual(me.body.archetypes, ['eng']);
      assert.ok(me.body.skills.includes('claresia.codewright.code-review'));
      // A service account acts as tenant_admin.
      const sa = await cp.request('GET', '/api/v1/me', { token: t.token });
      assert.deepEqual([sa.body.subject_type, sa.body.role], ['service_account', 'tenant_admin']);
      // Members revoke their own token.
      assert.equal((await cp.request('POST', '/api/v1/auth/revoke', { token: member })).status, 204);
      assert.equal((await cp.request('GET', '/api/v1/me', { token: member })).status, 401);
    });

    it('gives claresia-eng-pilot members the eng skills on top of their own archetype, in /me and in the published grants', async () => {
      const pilot = await tokenOf('pilot@acme.example');
      const me = await cp.request('GET', '/api/v1/me', { token: pilot });
      assert.equal(me.body.role, 'member');
      assert.deepEqual(me.body.archetypes, ['eng', 'sales']);
      assert.ok(me.body.skills.includes('claresia.codewright.code-review'));
      assert.ok(me.body.skills.includes('claresia.gatespic.deal-desk'));
      const grants = await computeGrants(cp.db, t.id);
      const of = (email: string) => grants.filter((g) => g.email === email).map((g) => g.skill);
      assert.ok(of('pilot@acme.example').includes('claresia.codewright.code-review'));
      assert.ok(of('pilot@acme.example').includes('claresia.gatespic.deal-desk'));
      assert.deepEqual(of('outsider@acme.example'), [], 'in no mapped group: no skills once the tenant uses RBAC groups');
      assert.ok(of('member@acme.example').includes('claresia.codewright.code-review'));
    });

    it('refuses sign-in with 403 and a reason, issuing no token: no mapped group, de-provisioned, unknown', async () => {
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      const noRole = await signIn(cp, idp, conn, 'outsider@acme.example');
      assert.equal(noRole.status, 403, noRole.text);
      assert.equal(noRole.body.error.code, 'no_role');
      assert.match(noRole.body.error.message, /no claresia-\* group mapped to a role/);
      assert.equal(noRole.body.access_token, undefined);
      const unknown = await signIn(cp, idp, conn, 'stranger@acme.example');
      assert.equal(unknown.status, 403);
      assert.equal(unknown.body.error.code, 'user_not_found');
      const gone = await scim(cp, dir)('PATCH', `/Users/${people.ids.get('mover@acme.example')}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(gone.status, 200, gone.text);
      const inactive = await signIn(cp, idp, conn, 'mover@acme.example');
      assert.equal(inactive.status, 403);
      assert.equal(inactive.body.error.code, 'user_inactive');
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions, 'no session for a refused sign-in');
      const denied = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login_denied' }).orderBy('seq').select('data');
      assert.deepEqual(denied.map((d: any) => d.data.reason), ['no_role', 'user_not_found', 'user_inactive']);
      // Reactivated: may sign in again.
      const back = await scim(cp, dir)('PATCH', `/Users/${people.ids.get('mover@acme.example')}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] });
      assert.equal(back.status, 200);
      assert.equal((await signIn(cp, idp, conn, 'mover@acme.example')).status, 200);
    });

    it('reads the role on every call: a group change applies to the next request with the same token', async () => {
      const token = await tokenOf('member@acme.example');
      const read = () => cp.request('GET', '/api/v1/roster', { token });
      assert.equal((await read()).status, 403);
      assert.equal((await addMember(cp, dir, people.groups.get('claresia-auditors')!, people.ids.get('member@acme.example')!)).status, 200);
      assert.equal((await read()).status, 200, 'now an auditor');
      assert.equal((await removeMember(cp, dir, people.groups.get('claresia-auditors')!, people.ids.get('member@acme.example')!)).status, 200);
      assert.equal((await read()).status, 403, 'a member again');
    });

    it('a user removed from every claresia-* group loses access like a de-provisioned one: 401, recorded, no grants', async () => {
      const id = people.ids.get('mover@acme.example')!;
      const token = await tokenOf('mover@acme.example');
      assert.equal((await cp.request('GET', '/api/v1/me', { token })).status, 200);
      assert.ok((await computeGrants(cp.db, t.id)).some((g) => g.email === 'mover@acme.example'));
      const live = await cp.count('auth_sessions', { tenant_id: t.id, subject_id: id, revoked_at: null });
      assert.ok(live >= 1);
      assert.equal((await removeMember(cp, dir, people.groups.get('Claresia-Users')!, id)).status, 200);
      const after = await cp.request('GET', '/api/v1/me', { token });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.message, 'token revoked');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.access_revoked', subject: id }).orderBy('seq', 'desc').first();
      assert.equal(ev.actor, 'okta:scim');
      assert.equal(ev.data.reason, 'no_rbac_group');
      assert.equal(ev.data.sessions_revoked, live, 'every live session of the user');
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_id: id, revoked_at: null }), 0);
      assert.ok(!(await computeGrants(cp.db, t.id)).some((g) => g.email === 'mover@acme.example'));
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, id: ev.data.distribution_request }), 1, 'a publish is queued');
      const denied = await signIn(cp, idp, conn, 'mover@acme.example');
      assert.equal(denied.body.error.code, 'no_role');
    });

    it('refuses to start a sign-in through a connection that never passed a test login, or one that does not exist', async () => {
      const res = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'untested', protocol: 'saml', metadata_url: idp.metadataUrl } });
      const start = await cp.request('GET', `/api/v1/auth/sso/${res.body.id}/login`);
      assert.equal(start.status, 409);
      assert.equal(start.body.error.code, 'connection_not_active');
      assert.equal(start.body.error.field, 'connection_id');
      assert.equal((await cp.request('GET', '/api/v1/auth/sso/sso_0000000000000000/login')).status, 404);
    });
  });

  describe(`rbac: a tenant without claresia-* groups keeps roster-based access [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;

    before(async function () {
      // Starting PGlite, migrating and provisioning take a while on a busy machine.
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    it('every active user is a member until the first claresia-* group arrives, which ends access for those in none', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'entra');
      const conn = await greenSamlConnection(cp, t, idp);
      const people = await provision(cp, dir, [{ email: 'ana@acme.example', title: 'Software Engineer' }, { email: 'bo@acme.example', title: 'Software Engineer' }], { engineering: ['ana@acme.example', 'bo@acme.example'] });
      await cp.request('POST', '/api/v1/skill-entitlement/coworks', { token: t.token, body: { pack: 'builders' } });
      await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      const ana = await signIn(cp, idp, conn, 'ana@acme.example');
      assert.equal(ana.status, 200, ana.text);
      assert.equal(ana.body.role, 'member');
      const bo = await signIn(cp, idp, conn, 'bo@acme.example');
      assert.equal(bo.body.role, 'member');
      assert.deepEqual([...new Set((await computeGrants(cp.db, t.id)).map((g) => g.email))], ['ana@acme.example', 'bo@acme.example']);

      const s = scim(cp, dir);
      const g = await s('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'claresia-users', members: [{ value: people.ids.get('ana@acme.example') }] });
      assert.equal(g.status, 201, g.text);
      assert.equal((await cp.request('GET', '/api/v1/me', { token: ana.body.access_token })).status, 200);
      const out = await cp.request('GET', '/api/v1/me', { token: bo.body.access_token });
      assert.equal(out.status, 401);
      const enabled = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.enabled' }).first();
      assert.equal(enabled.actor, 'entra:scim');
      assert.equal(enabled.data.users_without_role, 1);
      assert.deepEqual([...new Set((await computeGrants(cp.db, t.id)).map((x) => x.email))], ['ana@acme.example']);
      // The last claresia-* group gone: roster-based access again.
      assert.equal((await s('DELETE', `/Groups/${g.body.id}`)).status, 204);
      const again = await signIn(cp, idp, conn, 'bo@acme.example');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.role, 'member');
    });
  });
}
