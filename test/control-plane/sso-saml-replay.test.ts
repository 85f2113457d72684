import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { readAutoPostForm, startSamlIdp, type ResponseTweaks, type SamlIdp } from '../support/idp/saml-idp.js';
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

    /** A user sign-in started here, the IdP's answer captured (not posted); tweaks apply to that answer. */
    async function startedSignIn(tweaks: ResponseTweaks = {}) {
      idp.user = { nameId: 'admin@acme.example', attributes: { email: 'admin@acme.example', firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
      const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      idp.tweaks = tweaks;
      return capturedForm(start.headers.get('location')!);
    }

    it('a signed assertion that does not name its request is redeemed once, whatever Response it is re-wrapped in (review v1 #1)', async () => {
      const first = await startedSignIn({ omitSubjectInResponseTo: true });
      const captured = idp.lastAssertion!;
      const logins = await ssoLogins();
      const ok = await first();
      assert.equal(ok.status, 200, ok.text);
      // Someone holding the captured response starts a login of their own and wraps the same
      // signed assertion in a new, unsigned Response answering it.
      const again = await startedSignIn({ omitSubjectInResponseTo: true, replayAssertion: captured });
      const res = await again();
      assert.equal(res.status, 400, res.text);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['assertion_already_used', 'SAMLResponse']);
      assert.equal(await ssoLogins(), logins + 1);
      // A fresh assertion from the IdP still signs in.
      assert.equal((await (await startedSignIn({ omitSubjectInResponseTo: true }))()).status, 200);
    });

    it('the same assertion re-wrapped for several new logins at once gives one sign-in', async () => {
      const original = await startedSignIn({ omitSubjectInResponseTo: true });
      const captured = idp.lastAssertion!;
      const posts = [original];
      for (let i = 0; i < 3; i++) posts.push(await startedSignIn({ omitSubjectInResponseTo: true, replayAssertion: captured }));
      const logins = await ssoLogins();
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      const results = await Promise.all(posts.map((p) => p()));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400, 400], results.map((r) => r.text).join('\n'));
      for (const r of results.filter((r) => r.status === 400)) assert.equal(r.body.error.code, 'assertion_already_used');
      assert.equal(await ssoLogins(), logins + 1);
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions + 1);
    });

    it('keeps a used assertion until it expires, then forgets it as new ones are recorded', async () => {
      await (await startedSignIn({ notOnOrAfterMs: 60_000 }))();
      const rows = await cp.db('sso_used_assertions').where({ connection_id: conn });
      assert.ok(rows.length >= 1);
      for (const r of rows) assert.ok(new Date(r.expires_at).getTime() > Date.now(), 'kept while the assertion is valid');
      // Long past their end (beyond the margin for replicas' clocks): the next sign-in drops them.
      await cp.db('sso_used_assertions').where({ connection_id: conn }).update({ expires_at: new Date(Date.now() - 6 * 60_000) });
      assert.equal((await (await startedSignIn())()).status, 200);
      assert.equal(await cp.count('sso_used_assertions', { connection_id: conn }), 1);
    });

    it('keeps a record a little past its end, by the database clock: a replica whose clock is behind still accepts the assertion (review v2 F7)', async () => {
      await (await startedSignIn())();
      await cp.db('sso_used_assertions').where({ connection_id: conn }).update({ expires_at: cp.db.raw("now() - interval '1 minute'") });
      const before = await cp.count('sso_used_assertions', { connection_id: conn });
      assert.equal((await (await startedSignIn())()).status, 200);
      assert.equal(await cp.count('sso_used_assertions', { connection_id: conn }), before + 1);
    });

    it('an assertion whose SubjectConfirmationData has no NotOnOrAfter is refused: nothing would bound its replay', async () => {
      const res = await (await startedSignIn({ omitSubjectNotOnOrAfter: true }))();
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.field, 'SAMLResponse');
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
