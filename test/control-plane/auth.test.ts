import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`auth [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('exchanges client credentials for a JWT and records auth.login', async () => {
      const t = await cp.createTenant();
      assert.equal(t.token.split('.').length, 3);
      const me = await cp.request('GET', '/api/v1/tenant', { token: t.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, t.id);
      const login = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login' }).first();
      assert.equal(login.actor, `service_account:${t.clientId}`);
    });

    it('refuses missing, malformed, wrong, expired and revoked tokens with 401 and writes nothing', async () => {
      const t = await cp.createTenant();
      const events = await cp.count('governance_events');
      const sessions = await cp.count('auth_sessions');
      for (const headers of <Record<string, string>[]>[{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer nope' }, { Authorization: `Bearer ${t.token}x` }]) {
        const r = await cp.request('GET', '/api/v1/tenant', { headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.equal(r.body.error.field, 'authorization');
      }
      const bad = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: 'cs_wrong' } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'invalid_client');
      assert.ok(!bad.text.includes('cs_wrong'), 'the attempted secret is not echoed');
      const grant = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'password', client_id: t.clientId, client_secret: 'x' } });
      assert.equal(grant.status, 400);
      assert.equal(grant.body.error.field, 'grant_type');
      // The refused secret is recorded as a failed sign-in (review r2 #7), and nothing else is written.
      assert.equal(await cp.count('governance_events'), events + 1);
      const failed = await cp.db('governance_events').where({ type: 'auth.login_failed', subject: t.clientId });
      assert.deepEqual(failed.map((e) => [e.tenant_id, e.data.code, e.data.field]), [[t.id, 'invalid_client', 'client_secret']]);
      assert.equal(await cp.count('auth_sessions'), sessions);

      const revoke = await cp.request('POST', '/api/v1/auth/revoke', { token: t.token });
      assert.equal(revoke.status, 204);
      const after = await cp.request('GET', '/api/v1/tenant', { token: t.token });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.message, 'token revoked');
    });

    it('takes client credentials as HTTP Basic (RFC 6749 §2.3.1), form-urlencoded, and never from two places', async () => {
      const t = await cp.createTenant();
      const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
      const ok = await cp.request('POST', '/api/v1/auth/token', { raw: 'grant_type=client_credentials', headers: { ...form, ...basic(t.clientId, t.clientSecret) } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: ok.body.access_token })).body.id, t.id);
      // Each half is form-urlencoded first: a client library encodes what it sends.
      const encoded = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials' }, headers: basic(encodeURIComponent(t.clientId), encodeURIComponent(t.clientSecret)) });
      assert.equal(encoded.status, 200, encoded.text);
      // Another scheme is not client authentication: the body's credentials stand.
      const proxied = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret }, headers: { Authorization: 'Bearer proxy-token' } });
      assert.equal(proxied.status, 200, proxied.text);

      const events = await cp.count('governance_events');
      const sessions = await cp.count('auth_sessions');
      const wrong = await cp.request('POST', '/api/v1/auth/token', { raw: 'grant_type=client_credentials', headers: { ...form, ...basic(t.clientId, 'cs_wrong') } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'invalid_client');
      assert.equal(wrong.body.error.field, 'authorization');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      assert.ok(!wrong.text.includes('cs_wrong'));
      const both = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret }, headers: basic(t.clientId, t.clientSecret) });
      assert.equal(both.status, 400);
      assert.equal(both.body.error.field, 'authorization');
      for (const header of ['Basic !!!', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from(`${t.clientId}:%E0%A4%A`).toString('base64')}`]) {
        const bad = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials' }, headers: { Authorization: header } });
        assert.equal(bad.status, 401, header);
        assert.deepEqual([bad.body.error.code, bad.body.error.field], ['invalid_client', 'authorization'], header);
        assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      }
      const none = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_secret: 'x' } });
      assert.equal(none.status, 400);
      assert.deepEqual([none.body.error.code, none.body.error.field], ['missing_field', 'client_id']);
      // Refusals that name a client_id of the tenant are recorded as failed sign-ins (review r2 #7).
      const failed = await cp.db('governance_events').where({ type: 'auth.login_failed', subject: t.clientId }).orderBy('seq');
      assert.deepEqual(failed.map((e) => [e.data.code, e.data.field]), [['invalid_client', 'authorization'], ['invalid_value', 'authorization']]);
      assert.equal(await cp.count('governance_events'), events + failed.length);
      assert.equal(await cp.count('auth_sessions'), sessions);
    });

    it('refuses a body it cannot read with a 4xx that says why, not a 500', async () => {
      const t = await cp.createTenant();
      const latin1 = await cp.request('POST', '/api/v1/auth/token', {
        raw: JSON.stringify({ grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret }),
        headers: { 'Content-Type': 'application/json; charset=latin1' },
      });
      assert.equal(latin1.status, 415, latin1.text);
      assert.deepEqual(latin1.body.error, { code: 'unsupported_media_type', message: 'request body charset is not supported; send UTF-8', field: 'Content-Type' });
      const zipped = await cp.request('POST', '/api/v1/auth/token', { raw: '{}', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' } });
      assert.equal(zipped.status, 415, zipped.text);
      assert.equal(zipped.body.error.field, 'Content-Encoding');
    });

    it('keeps operator and tenant powers apart', async () => {
      const t = await cp.createTenant();
      const asTenant = await cp.request('POST', '/api/v1/tenants', { token: t.token, body: { slug: 'zzz' } });
      assert.equal(asTenant.status, 403);
      const asOperator = await cp.request('GET', '/api/v1/tenant', { token: cp.operatorToken });
      assert.equal(asOperator.status, 403);
      const del = await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: t.token });
      assert.equal(del.status, 403);
    });

    it('manages service accounts: secret shown once, deletion revokes its tokens', async () => {
      const t = await cp.createTenant();
      const sa = await cp.request('POST', '/api/v1/service-accounts', { token: t.token, body: { name: 'ci' } });
      assert.equal(sa.status, 201);
      const tok = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: sa.body.client_id, client_secret: sa.body.client_secret } });
      assert.equal(tok.status, 200);
      const list = await cp.request('GET', '/api/v1/service-accounts', { token: t.token });
      assert.equal(list.body.items.length, 2);
      assert.ok(list.body.items.every((x: any) => !('client_secret' in x) && !('secret_hash' in x)));
      const del = await cp.request('DELETE', `/api/v1/service-accounts/${sa.body.id}`, { token: t.token });
      assert.equal(del.status, 204);
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: tok.body.access_token })).status, 401);
      const first = list.body.items.find((x: any) => x.id !== sa.body.id);
      const last = await cp.request('DELETE', `/api/v1/service-accounts/${first.id}`, { token: t.token });
      assert.equal(last.status, 400);
      assert.equal(last.body.error.code, 'last_service_account');
    });
  });
}

describe('auth: token expiry', function () {
  let cp: TestControlPlane;
  before(async () => {
    cp = await startControlPlane({ config: { tokenTtlSeconds: 1 } });
  });
  after(async () => cp?.close());

  it('refuses an expired token with 401 "token expired"', async () => {
    const t = await cp.createTenant();
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await cp.request('GET', '/api/v1/tenant', { token: t.token });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.message, 'token expired');
  });
});
