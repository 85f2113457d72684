import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { selfSigned } from '../support/idp/certificates.js';
import { startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';
import { readAutoPostForm, startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory } from './scim/helpers.js';
import { greenSamlConnection, provision, signIn } from './rbac-support.js';

const ADMIN = 'admin@acme.example';
const FAILURES_AUDITED_PER_MINUTE = 3;
const STARTS_PER_MINUTE = 4;

/** Waits out the last seconds of a minute, so counts kept per minute are all taken in one. */
async function awayFromMinuteEnd() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
}

/**
 * What surrounds a user's sign-in: groups optional for users, IdP key rollover, failed attempts
 * recorded, sessions that end with their connection, and a bound on anonymous starts.
 */
for (const kind of dbKinds()) {
  describe(`sso: sign-in controls [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    const lines: string[] = [];

    before(async function () {
      this.timeout(180_000);
      idp = await startSamlIdp();
      const sink = new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      });
      cp = await startControlPlane({
        db: kind,
        config: { allowPrivateUrls: true, loginFailuresAuditedPerMinute: FAILURES_AUDITED_PER_MINUTE, ssoLoginStartsPerMinute: STARTS_PER_MINUTE },
        logger: pino({ level: 'warn' }, sink),
      });
      t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'okta');
      await provision(cp, dir, [{ email: ADMIN }], { 'claresia-admins': [ADMIN] });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });
    beforeEach(() => {
      idp.tweaks = {};
      idp.extraMetadataKeys = { before: [], after: [] };
      idp.signWith = undefined;
    });

    const connection = (id: string) => cp.request('GET', `/api/v1/identity/sso/connections/${id}`, { token: t.token });
    const me = (token: string) => cp.request('GET', '/api/v1/me', { token });
    const failures = (subject: string) => cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login_failed', subject }).orderBy('seq');

    async function testLogin(id: string) {
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${id}/test`, { token: t.token });
      assert.equal(start.status, 201, start.text);
      const page = await fetch(start.body.redirect_url);
      const form = readAutoPostForm(await page.text());
      return cp.request('POST', new URL(form.action).pathname, { raw: new URLSearchParams(form.fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    }

    describe('groups (review r3 L1)', () => {
      it('a user signs in without a groups attribute (Okta sends none when its filter matches none); the role comes from SCIM', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        idp.tweaks = { omitAttributes: ['groups'] };
        // signIn sets the user before the IdP answers; the tweak applies to that answer.
        const res = await signIn(cp, idp, conn, ADMIN);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.role, 'tenant_admin');
      });

      it('a test login still needs the groups attribute: it checks the IdP mapping the runbook asks for', async () => {
        const c = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'no-groups', protocol: 'saml', metadata_url: idp.metadataUrl } });
        idp.user = { nameId: ADMIN, attributes: { email: ADMIN, firstName: 'A', lastName: 'B' } };
        const res = await testLogin(c.body.id);
        assert.deepEqual([res.status, res.body.error?.code, res.body.error?.field], [400, 'missing_attribute', 'groups']);
        assert.equal((await connection(c.body.id)).body.status, 'untested');
      });
    });

    describe('IdP certificate rollover (review r2 #4)', () => {
      it('keeps every signing certificate of the metadata: the IdP may sign with the one listed second', async () => {
        idp.extraMetadataKeys.before = [await selfSigned('Old IdP key')];
        const c = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'rollover', protocol: 'saml', metadata_url: idp.metadataUrl } });
        assert.equal(c.status, 201, c.text);
        assert.equal((c.body.idp_certificate.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
        idp.user = { nameId: ADMIN, attributes: { email: ADMIN, firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
        const res = await testLogin(c.body.id);
        assert.equal(res.status, 200, res.text);
      });

      it('idp_certificate takes a bundle of PEM certificates, up to 4, each checked and named by position', async () => {
        const next = await selfSigned('Next IdP key');
        const expired = await selfSigned('Retired IdP key', new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 86400_000));
        const manual = { name: 'bundle', protocol: 'saml', idp_sso_url: idp.ssoUrl, idp_entity_id: idp.entityId };
        const bundle = `${next.certificatePem}${idp.signing.certificatePem}`;
        const ok = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { ...manual, idp_certificate: bundle } });
        assert.equal(ok.status, 201, ok.text);
        assert.equal(ok.body.idp_certificate, bundle.trim());
        idp.user = { nameId: ADMIN, attributes: { email: ADMIN, firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
        assert.equal((await testLogin(ok.body.id)).status, 200);

        const before = await cp.count('sso_connections', { tenant_id: t.id });
        const five = Array.from({ length: 5 }, () => idp.signing.certificatePem).join('');
        const tooMany = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { ...manual, idp_certificate: five } });
        assert.deepEqual([tooMany.status, tooMany.body.error.code, tooMany.body.error.field], [400, 'invalid_certificate', 'idp_certificate']);
        assert.match(tooMany.body.error.message, /at most 4/);
        const stale = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { ...manual, idp_certificate: `${idp.signing.certificatePem}${expired.certificatePem}` } });
        assert.deepEqual([stale.status, stale.body.error.code, stale.body.error.field], [400, 'certificate_expired', 'idp_certificate']);
        assert.match(stale.body.error.message, /certificate 2 of 2 expired/);
        assert.equal(await cp.count('sso_connections', { tenant_id: t.id }), before);
      });

      it('adding the next certificate keeps a green connection green and its sessions; the IdP then signs with it', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        const session = await signIn(cp, idp, conn, ADMIN);
        assert.equal(session.status, 200, session.text);
        const next = await selfSigned('Next IdP key');
        const current = (await connection(conn)).body.idp_certificate as string;
        // What an admin does while the IdP announces its next key: paste both.
        const patched = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn}`, { token: t.token, body: { metadata_url: null, idp_sso_url: idp.ssoUrl, idp_entity_id: idp.entityId, idp_certificate: `${current}\n${next.certificatePem}` } });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.body.status, 'green');
        assert.equal((await me(session.body.access_token)).status, 200);
        idp.signWith = next;
        assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 200);
      });

      it('replacing the certificate sets the connection untested and revokes the sessions it issued (review r2 #11)', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        const session = await signIn(cp, idp, conn, ADMIN);
        assert.equal(session.status, 200, session.text);
        const other = await selfSigned('Another IdP key');
        const patched = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn}`, { token: t.token, body: { metadata_url: null, idp_sso_url: idp.ssoUrl, idp_entity_id: idp.entityId, idp_certificate: other.certificatePem } });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.body.status, 'untested');
        const after = await me(session.body.access_token);
        assert.equal(after.status, 401, after.text);
        const changed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.changed', subject: conn }).orderBy('seq', 'desc').first();
        assert.equal(changed.data.sessions_revoked, 1);
      });
    });

    describe('certificate validity at sign-in (review r2 #4)', () => {
      it('a certificate that has expired since it was configured no longer verifies; a current one beside it still does', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        // Time passing, as the database would hold it: the key the IdP signs with is now past its end.
        const lapsed = await selfSigned('Lapsed', new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 86400_000));
        idp.signWith = lapsed;
        await cp.db('sso_connections').where({ id: conn }).update({ idp_certificate: lapsed.certificatePem.trim() });
        const refused = await signIn(cp, idp, conn, ADMIN);
        assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.field], [400, 'invalid_signature', 'SAMLResponse']);
        assert.match(refused.body.error.message, /expired/);
        await cp.db('sso_connections').where({ id: conn }).update({ idp_certificate: `${lapsed.certificatePem}${idp.signing.certificatePem}`.trim() });
        assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 400, 'signed with the lapsed key');
        idp.signWith = undefined;
        assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 200);
      });
    });

    describe('sessions end with their connection (review r2 #11)', () => {
      it('a sign-in begun before the IdP settings changed does not complete after: no session outlives the revocation', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        idp.user = { nameId: ADMIN, attributes: { email: ADMIN, firstName: 'A', lastName: 'B', groups: ['claresia-admins'] } };
        const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
        const form = readAutoPostForm(await (await fetch(start.headers.get('location')!)).text());
        // The same key still verifies, but the connection now points elsewhere and awaits a test.
        const patched = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn}`, { token: t.token, body: { metadata_url: null, idp_sso_url: `${idp.ssoUrl}?moved=1`, idp_entity_id: idp.entityId, idp_certificate: idp.signing.certificatePem } });
        assert.equal(patched.body.status, 'untested', patched.text);
        const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
        const res = await cp.request('POST', new URL(form.action).pathname, { raw: new URLSearchParams(form.fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        assert.deepEqual([res.status, res.body.error?.code], [409, 'connection_not_active'], res.text);
        assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions);
      });

      it('deleting a connection revokes the sessions it issued, and only those', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        const session = await signIn(cp, idp, conn, ADMIN);
        assert.equal(session.status, 200, session.text);
        const other = await greenSamlConnection(cp, t, idp);
        const kept = await signIn(cp, idp, other, ADMIN);
        assert.equal((await me(session.body.access_token)).status, 200);
        const del = await cp.request('DELETE', `/api/v1/identity/sso/connections/${conn}`, { token: t.token });
        assert.equal(del.status, 204, del.text);
        const after = await me(session.body.access_token);
        assert.deepEqual([after.status, after.body.error.message], [401, 'token revoked']);
        assert.equal((await me(kept.body.access_token)).status, 200);
        assert.equal((await me(t.token)).status, 200, 'the service account is no SSO session');
        const removed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.removed', subject: conn }).first();
        assert.equal(removed.data.sessions_revoked, 1);
      });
    });

    describe('failed sign-ins are recorded (review r2 #7)', () => {
      it('a refused SAML answer writes auth.login_failed with the code, connection and address, and a warn log line', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        const logged = lines.length;
        idp.tweaks = { signWithOtherKey: true };
        const res = await signIn(cp, idp, conn, ADMIN);
        assert.deepEqual([res.status, res.body.error.code], [400, 'invalid_signature']);
        const [ev, ...more] = await failures(conn);
        assert.equal(more.length, 0);
        assert.equal(ev.actor, 'anonymous');
        assert.deepEqual(ev.data, { method: 'saml', code: 'invalid_signature', field: 'SAMLResponse', status: 400, connection_id: conn, client_ip: '127.0.0.1' });
        const line = lines.slice(logged).map((l) => JSON.parse(l)).find((l) => l.event === 'auth.login_failed');
        assert.ok(line, lines.slice(logged).join(''));
        assert.deepEqual([line.level, line.code, line.connection_id, line.client_ip, line.audited], [40, 'invalid_signature', conn, '127.0.0.1', true]);
        assert.ok(!lines.slice(logged).join('').includes('PHNhbWxw'), 'no SAMLResponse in the log');
      });

      it('puts at most a few failures a minute per connection in the chain; the log still has every one', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        await awayFromMinuteEnd();
        const logged = lines.length;
        // Test logins: failed user sign-ins would also meet the cap on pending starts.
        for (let i = 0; i < FAILURES_AUDITED_PER_MINUTE + 2; i++) {
          idp.tweaks = { signWithOtherKey: true };
          assert.equal((await testLogin(conn)).status, 400);
        }
        const events = await failures(conn);
        assert.equal(events.length, FAILURES_AUDITED_PER_MINUTE);
        assert.match(events.at(-1)!.data.cap_reached, /logged, not audited/);
        const warned = lines.slice(logged).map((l) => JSON.parse(l)).filter((l) => l.event === 'auth.login_failed');
        assert.deepEqual(warned.map((l) => l.audited), [true, true, true, false, false]);
      });

      it('a wrong client secret is recorded in the tenant of the client_id, never the secret; an unknown client_id only logs', async () => {
        const logged = lines.length;
        const wrong = 'cs_wrong-secret-5e1f0c';
        const res = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: wrong } });
        assert.equal(res.status, 401);
        const [ev] = await failures(t.clientId);
        assert.deepEqual(ev.data, { method: 'client_credentials', code: 'invalid_client', field: 'client_secret', status: 401, client_id: t.clientId, client_ip: '127.0.0.1' });
        const unknown = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: 'cl_nobody', client_secret: wrong } });
        assert.equal(unknown.status, 401);
        assert.equal((await cp.db('governance_events').where({ type: 'auth.login_failed', subject: 'cl_nobody' })).length, 0);
        const warned = lines.slice(logged).map((l) => JSON.parse(l)).filter((l) => l.event === 'auth.login_failed');
        assert.deepEqual(warned.map((l) => [l.client_id, l.audited]), [[t.clientId, true], ['cl_nobody', false]]);
        assert.ok(!lines.slice(logged).join('').includes(wrong));
        assert.ok(!JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id })).includes(wrong));
        // A good secret still works and is recorded as a login, not a failure.
        assert.equal((await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret } })).status, 200);
        assert.equal((await failures(t.clientId)).length, 1);
      });

      it('failures arriving at once are counted once each: the cap holds across concurrent requests', async () => {
        const sa = await cp.request('POST', '/api/v1/service-accounts', { token: t.token, body: { name: 'ci' } });
        assert.equal(sa.status, 201, sa.text);
        await awayFromMinuteEnd();
        const tries = Array.from({ length: 10 }, () => cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: sa.body.client_id, client_secret: 'cs_guess' } }));
        assert.deepEqual([...new Set((await Promise.all(tries)).map((r) => r.status))], [401]);
        assert.equal((await failures(sa.body.client_id)).length, FAILURES_AUDITED_PER_MINUTE);
        const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
        assert.equal(verify.status, 200, verify.text);
        assert.equal(verify.body.ok, true, verify.text);
      });

      it('a refused OIDC callback is recorded against its connection', async () => {
        const oidc: OidcIdp = await startOidcIdp();
        try {
          const c = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'OIDC', protocol: 'oidc', discovery_url: oidc.discoveryUrl, client_id: 'claresia', client_secret: 'oidc-secret-0b9d' } });
          assert.equal(c.status, 201, c.text);
          const res = await cp.request('GET', `${new URL(c.body.acs_url).pathname}?state=not-a-state&code=x`);
          assert.deepEqual([res.status, res.body.error.code], [400, 'invalid_state']);
          const [ev] = await failures(c.body.id);
          assert.deepEqual(ev.data, { method: 'oidc', code: 'invalid_state', field: 'state', status: 400, connection_id: c.body.id, client_ip: '127.0.0.1' });
        } finally {
          await oidc.close();
        }
      });
    });

    describe('anonymous sign-in starts (review r2 #11)', () => {
      it('starts beyond the cap lock nobody out: the oldest pending starts of the connection are forgotten, so storage stays bounded (review v2 F2)', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        await awayFromMinuteEnd();
        const start = async () => {
          const res = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
          assert.equal(res.status, 302, await res.text());
          return res.headers.get('location')!;
        };
        idp.user = { nameId: ADMIN, attributes: { email: ADMIN, firstName: 'Test', lastName: 'User', groups: ['claresia-users'] } };
        const evicted = await start();
        // A flood of anonymous starts that are never completed, as a script would send.
        for (let i = 0; i < STARTS_PER_MINUTE * 3; i++) await start();
        assert.equal(await cp.count('sso_login_states', { connection_id: conn, purpose: 'login' }), STARTS_PER_MINUTE);
        // A person starting now still signs in.
        assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 200);
        // The person whose start was forgotten is refused and starts again.
        const page = await fetch(evicted);
        const form = readAutoPostForm(await page.text());
        const late = await cp.request('POST', new URL(form.action).pathname, {
          raw: new URLSearchParams(form.fields).toString(),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
        assert.equal(late.status, 400, late.text);
        assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 200);
        // Another connection keeps its own starts; the admin's test logins are not anonymous and never forgotten.
        const other = await greenSamlConnection(cp, t, idp);
        assert.equal((await fetch(`${cp.url}/api/v1/auth/sso/${other}/login`, { redirect: 'manual' })).status, 302);
        assert.equal((await cp.request('POST', `/api/v1/identity/sso/connections/${conn}/test`, { token: t.token })).status, 201);
        await start();
        assert.equal(await cp.count('sso_login_states', { connection_id: conn, purpose: 'test' }), 1);
        assert.equal(await cp.count('sso_login_states', { connection_id: other, purpose: 'login' }), 1);
      });

      it('a completed sign-in no longer counts as pending', async () => {
        const conn = await greenSamlConnection(cp, t, idp);
        await awayFromMinuteEnd();
        for (let i = 0; i < STARTS_PER_MINUTE + 2; i++) assert.equal((await signIn(cp, idp, conn, ADMIN)).status, 200);
      });
    });
  });
}
