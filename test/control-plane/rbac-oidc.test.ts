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

    async function signIn(email: string, claims: Record<string, unknown> = { email_verified: true }) {
      idp.user = { sub: `sub-${email}`, claims: { email, given_name: 'Test', family_name: 'User', groups: [], ...claims } };
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

    it('refuses an email the IdP says is not verified (boolean or string), with 403 naming email, recorded, no token', async () => {
      const sessions = () => cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      const before = await sessions();
      // Keycloak and Okta send a boolean; Cognito and some gateways send a string.
      for (const value of [false, 'false', 'False', null]) {
        const { res } = await signIn('ADA@acme.example', { email_verified: value });
        assert.equal(res.status, 403, `${JSON.stringify(value)}: ${res.text}`);
        assert.equal(res.body.error.code, 'email_not_verified');
        assert.equal(res.body.error.field, 'email');
        assert.equal(res.body.access_token, undefined);
      }
      assert.equal(await sessions(), before);
      const denied = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login_denied' }).whereRaw("data->>'reason' = 'email_not_verified'");
      assert.equal(denied.length, 4);
      assert.equal(denied[0].subject, null, 'an unverified address is not matched to a user');
    });

    it('signs in when email_verified is the string "true", or when the IdP never sends the claim (Entra ID)', async () => {
      const asString = (await signIn('ada@acme.example', { email_verified: 'true' })).res;
      assert.equal(asString.status, 200, asString.text);
      assert.equal(asString.body.role, 'auditor');
      const absent = (await signIn('ada@acme.example', {})).res;
      assert.equal(absent.status, 200, absent.text);
    });

    it('a test login with an unverified email fails and leaves the connection as it was', async () => {
      idp.user = { sub: 'sub-admin', claims: { email: 'admin@acme.example', email_verified: false, given_name: 'A', family_name: 'B', groups: [] } };
      const test = await cp.request('POST', `/api/v1/identity/sso/connections/${conn.id}/test`, { token: t.token });
      assert.equal(test.status, 201, test.text);
      const back = new URL(await followUntil(test.body.redirect_url, conn.acs_url));
      const before = await cp.db('sso_connections').where({ id: conn.id }).first('status', 'last_tested_at');
      const res = await cp.request('GET', back.pathname + back.search);
      assert.equal(res.status, 403, res.text);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['email_not_verified', 'email']);
      assert.deepEqual(await cp.db('sso_connections').where({ id: conn.id }).first('status', 'last_tested_at'), before);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'auth.login', subject: conn.id }), 1, 'only the first test login');
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
