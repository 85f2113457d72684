import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { followUntil, startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';

const SECRET = 'oidc-client-secret-3f1e9a7c5b2d';

for (const kind of dbKinds()) {
  describe(`sso connections: OIDC [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: OidcIdp;
    let t: TenantFixture;
    const logs: string[] = [];

    before(async () => {
      idp = await startOidcIdp();
      const sink = new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: pino({ level: 'debug' }, sink) });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    /** Creates a connection and registers it at the IdP under its redirect URI. */
    async function connection(clientId: string, overrides: Record<string, unknown> = {}) {
      const res = await cp.request('POST', '/api/v1/identity/sso/configure', {
        token: t.token,
        body: { name: 'Test OIDC', protocol: 'oidc', discovery_url: idp.discoveryUrl, client_id: clientId, client_secret: SECRET, ...overrides },
      });
      assert.equal(res.status, 201, res.text);
      idp.addClient(clientId, SECRET, res.body.acs_url);
      return res.body;
    }

    /** Starts a test login and plays the browser up to the redirect back to the control plane. */
    async function authorize(c: { id: string; acs_url: string }) {
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      assert.equal(start.status, 201, start.text);
      const back = await followUntil(start.body.redirect_url, c.acs_url);
      return { start, callback: new URL(back) };
    }

    const complete = (callback: URL) => cp.request('GET', callback.pathname + callback.search);

    /** The connection, its states and the audit chain, but for the auth.login_failed a refused answer adds (review r2 #7). */
    async function snapshot(id: string) {
      const row = await cp.db('sso_connections').where({ id }).first();
      const events = (await cp.db('governance_events').where({ tenant_id: t.id }).whereNot({ type: 'auth.login_failed' }).count({ n: '*' }))[0]!.n;
      return { events: Number(events), status: row.status, states: await cp.count('sso_login_states', { connection_id: id }) };
    }

    it('configures from a discovery URL; the client secret is write-only and encrypted at rest', async () => {
      const c = await connection('client-a');
      assert.match(c.id, /^sso_/);
      assert.equal(c.protocol, 'oidc');
      assert.equal(c.discovery_url, idp.discoveryUrl);
      assert.equal(c.client_id, 'client-a');
      assert.equal(c.acs_url, `${cp.url}/api/v1/identity/sso/connections/${c.id}/oidc/callback`);
      assert.equal(c.audience_uri, `${cp.url}/api/v1/identity/sso/connections/${c.id}`);
      assert.equal(c.status, 'untested');
      assert.ok(!('client_secret' in c));
      assert.equal(c.metadata_url, null);
      const read = await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token });
      assert.deepEqual(read.body, c);
      const row = await cp.db('sso_connections').where({ id: c.id }).first();
      assert.ok(row.client_secret_enc && !row.client_secret_enc.includes(SECRET));
      const plain = await cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.client_secret_enc, `sso_connection:${c.id}:client_secret`);
      assert.equal(plain, SECRET, 'sealed under the tenant data key, bound to the connection');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.added', subject: c.id }).first();
      assert.deepEqual([ev.data.kind, ev.data.protocol], ['sso', 'oidc']);
    });

    it('runs a real test login with PKCE: authorization request, code redeemed with the verifier, connection green', async () => {
      const c = await connection('client-b');
      const { start, callback } = await authorize(c);
      const sent = new URL(start.body.redirect_url).searchParams;
      assert.equal(sent.get('code_challenge_method'), 'S256');
      assert.match(sent.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(sent.get('state'), start.body.login_id);
      assert.ok(sent.get('nonce'));
      assert.equal(sent.get('redirect_uri'), c.acs_url);
      assert.equal(idp.lastAuthorization?.get('code_challenge'), sent.get('code_challenge'), 'the IdP received the challenge');
      const stored = await cp.db('sso_login_states').where({ id: start.body.login_id }).first();
      assert.ok(!stored.secrets_enc.includes(sent.get('nonce')!), 'verifier and nonce are sealed');
      const res = await complete(callback);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'green');
      assert.deepEqual(res.body.user, { subject: 'user-ada', email: 'ada@acme.example', first_name: 'Ada', last_name: 'Lovelace', groups: ['claresia-admins', 'engineering'] });
      const login = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login', subject: c.id }).first();
      assert.equal(login.data.protocol, 'oidc');
      assert.equal(login.data.login_id, start.body.login_id);
      assert.equal((await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token })).body.status, 'green');
      assert.equal(await cp.count('sso_login_states', { connection_id: c.id }), 0);
      const again = await complete(callback);
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'invalid_state');
    });

    it('fails the login when the PKCE verifier does not match the challenge (the IdP enforces it)', async () => {
      const c = await connection('client-c');
      const { start, callback } = await authorize(c);
      const keys = cp.server.ctx.keys;
      const purpose = `sso_login_state:${start.body.login_id}`;
      const row = await cp.db('sso_login_states').where({ id: start.body.login_id }).first();
      const secrets = JSON.parse(await keys.decryptForTenant(cp.db, t.id, row.secrets_enc, purpose));
      const forged = { ...secrets, code_verifier: 'x'.repeat(64) };
      await cp.db('sso_login_states').where({ id: row.id }).update({ secrets_enc: await keys.encryptForTenant(cp.db, t.id, JSON.stringify(forged), purpose) });
      const before = await snapshot(c.id);
      const res = await complete(callback);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, 'token_exchange_failed');
      assert.match(res.body.error.message, /invalid_grant/);
      assert.deepEqual(await snapshot(c.id), before, 'a failed login writes nothing');
    });

    it('fails the login when the ID token does not carry the nonce of this login', async () => {
      const c = await connection('client-n');
      const { start, callback } = await authorize(c);
      const keys = cp.server.ctx.keys;
      const purpose = `sso_login_state:${start.body.login_id}`;
      const row = await cp.db('sso_login_states').where({ id: start.body.login_id }).first();
      const secrets = JSON.parse(await keys.decryptForTenant(cp.db, t.id, row.secrets_enc, purpose));
      await cp.db('sso_login_states').where({ id: row.id }).update({ secrets_enc: await keys.encryptForTenant(cp.db, t.id, JSON.stringify({ ...secrets, nonce: 'another-nonce' }), purpose) });
      const before = await snapshot(c.id);
      const res = await complete(callback);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, 'invalid_id_token');
      assert.deepEqual(await snapshot(c.id), before);
    });

    it('names a missing required claim, and refuses unknown or missing state', async () => {
      const c = await connection('client-d');
      const saved = idp.user.claims;
      idp.user.claims = { ...saved, email: undefined };
      try {
        const { callback } = await authorize(c);
        const before = await snapshot(c.id);
        const res = await complete(callback);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.code, 'missing_attribute');
        assert.equal(res.body.error.field, 'email');
        assert.deepEqual(await snapshot(c.id), before);
      } finally {
        idp.user.claims = saved;
      }
      const unknown = await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}/oidc/callback?code=abc&state=not-ours`);
      assert.equal(unknown.status, 400);
      assert.deepEqual([unknown.body.error.code, unknown.body.error.field], ['invalid_state', 'state']);
      const { start: late, callback: lateCallback } = await authorize(c);
      await cp.db('sso_login_states').where({ id: late.body.login_id }).update({ expires_at: new Date(Date.now() - 1000) });
      const expired = await complete(lateCallback);
      assert.deepEqual([expired.status, expired.body.error.code], [400, 'invalid_state']);
      const missing = await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}/oidc/callback?code=abc`);
      assert.deepEqual([missing.body.error.code, missing.body.error.field], ['missing_field', 'state']);
      const wrongConn = await cp.request('GET', `/api/v1/identity/sso/connections/sso_0000000000000000/oidc/callback?code=abc&state=x`);
      assert.equal(wrongConn.status, 404);
    });

    it("reports the IdP's refusal with its error_description on field error, with or without iss, cleaned and cut short", async () => {
      const c = await connection('client-err');
      for (const withIss of [true, false]) {
        const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
        assert.equal(start.status, 201, start.text);
        const q = new URLSearchParams({
          error: 'access_denied',
          error_description: `AADSTS50105: The signed in user is not assigned to a role for the application.\r\n\u001b[31m${'y'.repeat(600)}`,
          state: start.body.login_id,
          ...(withIss ? { iss: idp.issuer } : {}),
        });
        const before = await snapshot(c.id);
        const res = await cp.request('GET', `${new URL(c.acs_url).pathname}?${q}`);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual([res.body.error.code, res.body.error.field], ['idp_error', 'error'], `iss ${withIss}`);
        assert.match(res.body.error.message, /\(access_denied: AADSTS50105: The signed in user is not assigned to a role for the application\. \[31my+…\)$/);
        assert.doesNotMatch(res.body.error.message, /[\u0000-\u001f]/);
        assert.ok(res.body.error.message.length < 450, res.body.error.message);
        assert.deepEqual(await snapshot(c.id), before);
      }
    });

    it('a wrong client secret fails at the token endpoint; a new secret makes the connection untested again', async () => {
      const c = await connection('client-e');
      assert.equal((await complete((await authorize(c)).callback)).status, 200);
      const patch = await cp.request('PATCH', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token, body: { client_secret: 'not-the-registered-secret' } });
      assert.equal(patch.status, 200, patch.text);
      assert.equal(patch.body.status, 'untested');
      assert.ok(!patch.text.includes('not-the-registered-secret'));
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.changed', subject: c.id }).first();
      assert.deepEqual(ev.data.changes, { client_secret: 'changed' });
      const res = await complete((await authorize(c)).callback);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'token_exchange_failed');
      assert.match(res.body.error.message, /invalid_client/);
    });

    it('rejects bad configurations naming the field, writing nothing', async () => {
      const good = { name: 'x', protocol: 'oidc', discovery_url: idp.discoveryUrl, client_id: 'c', client_secret: SECRET };
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ ...good, client_secret: undefined }, 'client_secret', 'missing_field'],
        [{ ...good, client_id: undefined }, 'client_id', 'missing_field'],
        [{ ...good, discovery_url: undefined }, 'discovery_url', 'missing_field'],
        [{ ...good, discovery_url: `${idp.issuer}/not-here/.well-known/openid-configuration` }, 'discovery_url', 'invalid_discovery'],
        [{ ...good, discovery_url: 'gopher://idp.example' }, 'discovery_url', 'url_not_allowed'],
        [{ ...good, discovery_url: 'not a url' }, 'discovery_url', 'invalid_value'],
        [{ ...good, metadata_url: 'https://idp.example/md' }, 'metadata_url', 'invalid_combination'],
        [{ ...good, idp_certificate: '-----BEGIN CERTIFICATE-----x' }, 'idp_certificate', 'invalid_combination'],
      ];
      const before = { c: await cp.count('sso_connections'), e: await cp.count('governance_events') };
      for (const [body, field, code] of cases) {
        const res = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body });
        assert.equal(res.status, 400, `${field}: ${res.text}`);
        assert.deepEqual([res.body.error.field, res.body.error.code], [field, code], res.text);
        assert.ok(!res.text.includes(SECRET));
      }
      assert.deepEqual({ c: await cp.count('sso_connections'), e: await cp.count('governance_events') }, before);
    });

    it('never puts the client secret in a response, an event or a log line', async () => {
      const events = await cp.db('governance_events').where({ tenant_id: t.id });
      assert.ok(!JSON.stringify(events).includes(SECRET));
      const list = await cp.request('GET', '/api/v1/identity/sso/connections', { token: t.token });
      assert.ok(list.body.items.length >= 5);
      assert.ok(!list.text.includes(SECRET));
      assert.ok(logs.length > 0);
      assert.ok(!logs.join('').includes(SECRET), 'the secret reached the log');
    });
  });
}
