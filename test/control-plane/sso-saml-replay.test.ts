import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { readAutoPostForm, startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory } from './scim/helpers.js';
import { greenSamlConnection, provision } from './rbac-support.js';

/**
 * One SAMLResponse is good for one sign-in, however many copies arrive at once. The race needs
 * concurrent transactions, which only the real server has (PGlite runs one at a time), but the
 * answer must be the same on both.
 */
for (const kind of dbKinds()) {
  describe(`sso: a SAML response posted several times at once [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    let conn: string;

    before(async function () {
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'okta');
      conn = await greenSamlConnection(cp, t, idp);
      await provision(cp, dir, [{ email: 'admin@acme.example' }], { 'claresia-admins': ['admin@acme.example'] });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    /** The IdP's auto-post form for one started sign-in or test login, not yet posted. */
    async function capturedForm(redirectUrl: string) {
      const page = await fetch(redirectUrl);
      assert.equal(page.status, 200);
      const form = readAutoPostForm(await page.text());
      return () =>
        cp.request('POST', new URL(form.action).pathname, {
          raw: new URLSearchParams(form.fields).toString(),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
    }

    const ssoLogins = async () => (await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login' }).whereRaw("data->>'method' = 'sso'")).length;

    it('a user sign-in: exactly one copy gets a JWT and one auth.login is written; the others are refused', async () => {
      idp.user = { nameId: 'admin@acme.example', attributes: { email: 'admin@acme.example', firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
      const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      const post = await capturedForm(start.headers.get('location')!);
      const logins = await ssoLogins();
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });

      const results = await Promise.all([post(), post(), post(), post()]);

      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, results.map((r) => `${r.status} ${r.text}`).join('\n'));
      assert.ok(ok[0]!.body.access_token);
      for (const r of results.filter((r) => r.status !== 200)) {
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.error.code, 'invalid_in_response_to');
        assert.equal(r.body.error.field, 'SAMLResponse');
      }
      assert.equal(await ssoLogins(), logins + 1);
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions + 1);
    });

    it('an assertion that names the request only on the Response is used once too', async () => {
      idp.user = { nameId: 'admin@acme.example', attributes: { email: 'admin@acme.example', firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
      const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      // node-saml consumes the request id only when SubjectConfirmationData carries it.
      idp.tweaks = { omitSubjectInResponseTo: true };
      const post = await capturedForm(start.headers.get('location')!);
      const logins = await ssoLogins();
      const results = await Promise.all([post(), post(), post(), post()]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400], results.map((r) => r.text).join('\n'));
      const later = await post();
      assert.deepEqual([later.status, later.body.error.code], [400, 'invalid_in_response_to']);
      assert.equal(await ssoLogins(), logins + 1);
    });

    it('an admin test login: exactly one copy is accepted', async () => {
      idp.user = { nameId: 'admin@acme.example', attributes: { email: 'admin@acme.example', firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
      const test = await cp.request('POST', `/api/v1/identity/sso/connections/${conn}/test`, { token: t.token });
      assert.equal(test.status, 201, test.text);
      const post = await capturedForm(test.body.redirect_url);
      const results = await Promise.all([post(), post(), post(), post()]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400], results.map((r) => r.text).join('\n'));
      const tests = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login' }).whereRaw("data->>'login_id' = ?", [test.body.login_id]);
      assert.equal(tests.length, 1);
    });
  });
}
