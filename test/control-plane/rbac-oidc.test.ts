import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { followUntil, startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';
import { makeDirectory } from './scim/helpers.js';
import { provision } from './rbac-support.js';

const SECRET = 'oidc-client-secret-7d2c1b9e4a6f';

/** A user signing in through an OpenID Connect connection: the same callback as the test login, PKCE and all. */
for (const kind of dbKinds()) {
  describe(`rbac: user sign-in over OpenID Connect [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: OidcIdp;
    let t: TenantFixture;
    let conn: { id: string; acs_url: string };

    before(async function () {
      this.timeout(180_000);
      idp = await startOidcIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      const res = await cp.request('POST', '/api/v1/identity/sso/configure', {
        token: t.token,
        body: { name: 'OIDC', protocol: 'oidc', discovery_url: idp.discoveryUrl, client_id: 'claresia', client_secret: SECRET },
      });
      assert.equal(res.status, 201, res.text);
      conn = res.body;
      idp.addClient('claresia', SECRET, conn.acs_url);
      const test = await cp.request('POST', `/api/v1/identity/sso/connections/${conn.id}/test`, { token: t.token });
      const back = new URL(await followUntil(test.body.redirect_url, conn.acs_url));
      assert.equal((await cp.request('GET', back.pathname + back.search)).body.status, 'green');
      const dir = await makeDirectory(cp, t, 'okta');
      await provision(cp, dir, [{ email: 'ada@acme.example' }, { email: 'eve@acme.example' }], { 'claresia-auditors': ['ada@acme.example'], 'claresia-other': ['eve@acme.example'] });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    async function signIn(email: string) {
      idp.user = { sub: `sub-${email}`, claims: { email, email_verified: true, given_name: 'Test', family_name: 'User', groups: [] } };
      const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn.id}/login`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      const back = new URL(await followUntil(start.headers.get('location')!, conn.acs_url));
      return { back, res: await cp.request('GET', back.pathname + back.search) };
    }

    it('issues a user JWT carrying the role from the groups; the state is used once', async () => {
      const { back, res } = await signIn('ada@acme.example');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.role, 'auditor');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const me = await cp.request('GET', '/api/v1/me', { token: res.body.access_token });
      assert.equal(me.body.role, 'auditor');
      assert.equal((await cp.request('GET', '/api/v1/hub/governance-events', { token: res.body.access_token })).status, 200);
      const replay = await cp.request('GET', back.pathname + back.search);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error.code, 'invalid_state');
      const conn_ = await cp.db('sso_connections').where({ id: conn.id }).first();
      assert.equal(conn_.status, 'green');
    });

    it('refuses a user whose only claresia-* group is unmapped with 403 and no token', async () => {
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      const { res } = await signIn('eve@acme.example');
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'no_role');
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions);
    });
  });
}
