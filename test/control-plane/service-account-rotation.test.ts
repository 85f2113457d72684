import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

// Client-secret rotation with an overlap (review r3 L1, v1 #3): the replaced secret keeps working
// until the overlap ends, 0 ends it at once, and the operator can replace a tenant's first secret.
for (const kind of dbKinds()) {
  describe(`service account secret rotation [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    const login = (clientId: string, clientSecret: string) =>
      cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });

    async function account(t: { token: string }) {
      const made = await cp.request('POST', '/api/v1/service-accounts', { token: t.token, body: { name: 'ci' } });
      assert.equal(made.status, 201, made.text);
      return made.body as { id: string; client_id: string; client_secret: string };
    }

    it('rotates a secret: the new one is returned once, the old one works through the overlap (24 h by default) and stops after it', async () => {
      const t = await cp.createTenant();
      const sa = await account(t);
      const before = Date.now();
      const rot = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token });
      assert.equal(rot.status, 200, rot.text);
      assert.match(rot.body.client_secret, /^cs_/);
      assert.notEqual(rot.body.client_secret, sa.client_secret);
      assert.equal(rot.body.client_id, sa.client_id);
      assert.equal(rot.headers.get('cache-control'), 'no-store');
      const until = Date.parse(rot.body.previous_secret_expires_at);
      assert.ok(until >= before + 24 * 3600_000 - 60_000 && until <= Date.now() + 24 * 3600_000 + 60_000, rot.body.previous_secret_expires_at);

      assert.equal((await login(sa.client_id, rot.body.client_secret)).status, 200, 'the new secret works');
      const old = await login(sa.client_id, sa.client_secret);
      assert.equal(old.status, 200, 'the replaced secret still works during the overlap');
      const marked = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login', subject: sa.id }).orderBy('seq');
      assert.deepEqual(marked.map((e) => e.data.secret ?? 'current'), ['current', 'previous'], 'a login with the replaced secret is marked');

      const read = await cp.request('GET', `/api/v1/service-accounts/${sa.id}`, { token: t.token });
      assert.equal(read.status, 200);
      assert.equal(read.body.previous_secret_expires_at, rot.body.previous_secret_expires_at);
      assert.equal(read.body.client_secret, undefined, 'a read never shows a secret');
      const list = await cp.request('GET', '/api/v1/service-accounts', { token: t.token });
      assert.equal(list.body.items.find((a: any) => a.id === sa.id).previous_secret_expires_at, rot.body.previous_secret_expires_at);

      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'service_account.secret_rotated', subject: sa.id }).first();
      assert.equal(ev.actor, `service_account:${t.clientId}`);
      assert.deepEqual(ev.data, { client_id: sa.client_id, secret_overlap_seconds: 86400, previous_secret_expires_at: rot.body.previous_secret_expires_at });
      const everything = JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id })) + JSON.stringify(await cp.db('service_accounts').where({ id: sa.id }));
      for (const s of [sa.client_secret, rot.body.client_secret]) assert.ok(!everything.includes(s), 'no secret is stored or audited');

      // The overlap's end, moved into the past rather than waited for.
      await cp.db('service_accounts').where({ id: sa.id }).update({ previous_secret_expires_at: new Date(Date.now() - 1000) });
      const late = await login(sa.client_id, sa.client_secret);
      assert.equal(late.status, 401, 'the replaced secret stops once the overlap is over');
      assert.equal(late.body.error.code, 'invalid_client');
      assert.equal((await login(sa.client_id, rot.body.client_secret)).status, 200);
      assert.equal((await cp.request('GET', `/api/v1/service-accounts/${sa.id}`, { token: t.token })).body.previous_secret_expires_at, null);
    });

    it('with secret_overlap_seconds 0 the old secret stops at once; a second rotation keeps only the secret it replaced', async () => {
      const t = await cp.createTenant();
      const sa = await account(t);
      const now = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 0 } });
      assert.equal(now.status, 200, now.text);
      assert.equal(now.body.previous_secret_expires_at, null);
      assert.equal((await login(sa.client_id, sa.client_secret)).status, 401);
      assert.equal((await login(sa.client_id, now.body.client_secret)).status, 200);

      const first = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 600 } });
      const second = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 600 } });
      assert.equal(second.status, 200);
      assert.equal((await login(sa.client_id, now.body.client_secret)).status, 401, 'the secret two rotations back is gone');
      assert.equal((await login(sa.client_id, first.body.client_secret)).status, 200, 'the one just replaced still works');
      assert.equal((await login(sa.client_id, second.body.client_secret)).status, 200);
      // A leak found during an overlap: rotating with 0 ends it.
      const stop = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 0 } });
      assert.equal((await login(sa.client_id, second.body.client_secret)).status, 401);
      assert.equal((await login(sa.client_id, first.body.client_secret)).status, 401);
      assert.equal((await login(sa.client_id, stop.body.client_secret)).status, 200);
    });

    // Review v2 F4: a JWT minted with a leaked secret kept tenant_admin for its whole TTL after the
    // rotation meant for the leak, long enough to rotate again or create an account of its own.
    it("with secret_overlap_seconds 0 also revokes the account's tokens (and only its), and reports how many", async () => {
      const t = await cp.createTenant();
      const sa = await account(t);
      const other = await account(t);
      const tokenOf = async (clientId: string, clientSecret: string) => {
        const r = await login(clientId, clientSecret);
        assert.equal(r.status, 200, r.text);
        return r.body.access_token as string;
      };
      const leaked = [await tokenOf(sa.client_id, sa.client_secret), await tokenOf(sa.client_id, sa.client_secret)];
      const otherToken = await tokenOf(other.client_id, other.client_secret);
      const works = async (token: string) => (await cp.request('GET', '/api/v1/service-accounts', { token })).status;

      // An overlap keeps the tokens: the clients still switching rely on them.
      const soft = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 600 } });
      assert.equal(soft.status, 200, soft.text);
      for (const token of leaked) assert.equal(await works(token), 200, 'an overlap revokes nothing');
      const softEvent = await cp.db('governance_events').where({ tenant_id: t.id, type: 'service_account.secret_rotated', subject: sa.id }).orderBy('seq', 'desc').first();
      assert.equal(softEvent.data.sessions_revoked, undefined);

      const now = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body: { secret_overlap_seconds: 0 } });
      assert.equal(now.status, 200, now.text);
      for (const token of leaked) {
        const r = await cp.request('GET', '/api/v1/service-accounts', { token });
        assert.equal(r.status, 401, 'a token minted with the leaked secret is revoked');
        assert.equal((await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token, body: { secret_overlap_seconds: 0 } })).status, 401, 'and cannot rotate the secret back into its hands');
      }
      assert.equal(await works(t.token), 200, "the caller's own token (another account) stays");
      assert.equal(await works(otherToken), 200, "another account's token stays");
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'service_account.secret_rotated', subject: sa.id }).orderBy('seq', 'desc').first();
      assert.deepEqual(ev.data, { client_id: sa.client_id, secret_overlap_seconds: 0, previous_secret_expires_at: null, sessions_revoked: 2 });
      assert.equal(await works(await tokenOf(sa.client_id, now.body.client_secret)), 200, 'the new secret mints working tokens');

      // An account rotating its own secret with 0 gets the new secret, and its token is revoked with the rest.
      const own = await tokenOf(other.client_id, other.client_secret);
      const self = await cp.request('POST', `/api/v1/service-accounts/${other.id}/secret:rotate`, { token: own, body: { secret_overlap_seconds: 0 } });
      assert.equal(self.status, 200, self.text);
      assert.match(self.body.client_secret, /^cs_/);
      assert.equal(await works(own), 401);
      assert.equal(await works(otherToken), 401);
      assert.equal(await works(await tokenOf(other.client_id, self.body.client_secret)), 200);
    });

    it("the operator's rotation with 0 revokes the tokens of the tenant's first account too; its default overlap keeps them", async () => {
      const t = await cp.createTenant();
      const path = `/api/v1/tenants/${t.id}/client-secret:rotate`;
      const works = async (token: string) => (await cp.request('GET', '/api/v1/tenant', { token })).status;
      const kept = await cp.request('POST', path, { token: cp.operatorToken });
      assert.equal(kept.status, 200, kept.text);
      assert.equal(await works(t.token), 200, 'the default overlap revokes nothing');

      const rot = await cp.request('POST', path, { token: cp.operatorToken, body: { secret_overlap_seconds: 0 } });
      assert.equal(rot.status, 200, rot.text);
      assert.equal(await works(t.token), 401, 'the token minted with the lost secret is revoked');
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'service_account.secret_rotated' }).orderBy('seq');
      assert.deepEqual(
        events.map((e) => e.data.sessions_revoked),
        [undefined, 1],
      );
      const fresh = await login(t.clientId, rot.body.client_secret);
      assert.equal(fresh.status, 200);
      assert.equal(await works(fresh.body.access_token), 200);
    });

    it('refuses bad input naming the field, other tenants, the operator and unknown accounts, and changes nothing', async () => {
      const t = await cp.createTenant();
      const other = await cp.createTenant();
      const sa = await account(t);
      const stored = await cp.db('service_accounts').where({ id: sa.id }).first();
      const events = await cp.count('governance_events');
      for (const [body, field] of [
        [{ secret_overlap_seconds: -1 }, 'secret_overlap_seconds'],
        [{ secret_overlap_seconds: 604801 }, 'secret_overlap_seconds'],
        [{ secret_overlap_seconds: '60' }, 'secret_overlap_seconds'],
        [{ overlap: 60 }, 'overlap'],
      ] as const) {
        const r = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: t.token, body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.field, field, JSON.stringify(body));
      }
      const cross = await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: other.token });
      assert.equal(cross.status, 404, 'another tenant cannot rotate it');
      assert.equal(cross.body.error.field, 'id');
      assert.equal((await cp.request('GET', `/api/v1/service-accounts/${sa.id}`, { token: other.token })).status, 404);
      assert.equal((await cp.request('POST', '/api/v1/service-accounts/sa_nope/secret:rotate', { token: t.token })).status, 404);
      assert.equal((await cp.request('POST', `/api/v1/service-accounts/${sa.id}/secret:rotate`, { token: cp.operatorToken })).status, 403, 'the operator has no tenant token');
      assert.deepEqual(await cp.db('service_accounts').where({ id: sa.id }).first(), stored);
      assert.equal(await cp.count('governance_events'), events);
      assert.equal((await login(sa.client_id, sa.client_secret)).status, 200);
    });

    it("lets the operator replace a tenant's first client secret (the one returned at creation), and refuses an offboarded tenant", async () => {
      const t = await cp.createTenant();
      const path = `/api/v1/tenants/${t.id}/client-secret:rotate`;
      const asTenant = await cp.request('POST', path, { token: t.token });
      assert.equal(asTenant.status, 403, 'a tenant token is not the operator');
      const rot = await cp.request('POST', path, { token: cp.operatorToken, body: { secret_overlap_seconds: 0 } });
      assert.equal(rot.status, 200, rot.text);
      assert.equal(rot.body.client_id, t.clientId);
      assert.equal((await cp.request('GET', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).body.client_id, t.clientId);
      assert.equal((await login(t.clientId, t.clientSecret)).status, 401, 'the lost secret no longer works');
      assert.equal((await login(t.clientId, rot.body.client_secret)).status, 200);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'service_account.secret_rotated' }).first();
      assert.equal(ev.actor, 'operator');
      assert.ok(!JSON.stringify(ev).includes(rot.body.client_secret));

      const missing = await cp.request('POST', '/api/v1/tenants/tnt_0000000000000000/client-secret:rotate', { token: cp.operatorToken });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.field, 'id');

      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 204);
      const events = await cp.count('governance_events');
      const off = await cp.request('POST', path, { token: cp.operatorToken });
      assert.equal(off.status, 409);
      assert.equal(off.body.error.field, 'id');
      assert.equal(off.body.client_secret, undefined);
      assert.equal(await cp.count('governance_events'), events);
    });
  });
}
