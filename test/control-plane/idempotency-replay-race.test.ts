import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import type { HttpResult } from '../support/http.js';
import { replayFixture } from './idempotency-support.js';
import { until } from '../support/until.js';
import { KeyRing } from '../../control-plane/src/crypto/keys.js';
import { peek } from '../../control-plane/src/http/idempotency.js';

// Review v5 F4: an Idempotency-Key replay of an answer that issued a secret read the credential's
// current hash without a lock, so a replay landing while a rotation was in flight (its UPDATE not
// yet committed) answered the secret that rotation was about to kill: the client stored a secret
// that /auth/token refused a moment later. The replay must wait for the rotation, then refuse.
for (const kind of dbKinds()) {
  describe(`Idempotency-Key replay racing a rotation in flight [${kind}]`, function () {
    before(function () {
      // PGlite has one connection: a rotation cannot be held open beside the replay there.
      if (kind !== 'pg') this.skip();
    });
    const fx = replayFixture(kind);
    const { post, login, scimUsers } = fx;

    const waitingOn = async (table: string) =>
      ((await fx.cp.db.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE ?`, [`%${table}%`])) as { rows: Array<{ n: number }> }).rows[0]!.n > 0;

    /**
     * Holds `tenantId`'s audit head, so that `rotate` (a real rotation over HTTP) writes its new
     * secret and then waits to record it, uncommitted; sends `replay` meanwhile; and releases the
     * head. The replay must not answer while the rotation is uncommitted: it waits for the
     * credential's row (`table`) and, the rotation committed, answers what it decides then.
     */
    async function raceRotation(tenantId: string, table: string, rotate: () => Promise<HttpResult>, replay: () => Promise<HttpResult>) {
      const hold = await fx.cp.db.transaction();
      try {
        await hold.raw('SELECT 1 FROM audit_heads WHERE tenant_id = ? FOR UPDATE', [tenantId]);
        let rotationDone = false;
        const rotation = rotate().finally(() => (rotationDone = true));
        await until('the rotation waits to record its event, its new secret written', async () => rotationDone || (await waitingOn('audit_heads')));
        assert.equal(rotationDone, false, 'the rotation is held open');

        let answered: HttpResult | undefined;
        const replayed = replay().then((r) => (answered = r));
        await until('the replay waits for the rotation, or answers', async () => answered ?? (await waitingOn(`"${table}"`)));
        assert.equal(answered?.status, undefined, 'the replay answered while the rotation was uncommitted');

        await hold.commit();
        const rotated = await rotation;
        assert.equal(rotated.status, 200, rotated.text);
        return { rotated, replayed: await replayed };
      } finally {
        if (!hold.isCompleted()) await hold.rollback().catch(() => {});
      }
    }

    function assertRefused(res: HttpResult, secrets: string[]) {
      assert.equal(res.status, 409, res.text);
      assert.equal(res.body.error.code, 'request_already_completed');
      assert.equal(res.body.error.field, 'Idempotency-Key');
      assert.match(res.body.error.message, /has since been replaced by a later rotation/);
      for (const s of secrets) assert.ok(!res.text.includes(s), 'no secret in the refusal');
    }

    it("a tenant create's replay waits for the operator's rotation in flight, then is 409", async () => {
      const body = { slug: 'replay-race', display_name: 'Replay Race', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'billing@replay-race.example' };
      const made = await post('/api/v1/tenants', 'race-tenant', body, fx.cp.operatorToken);
      assert.equal(made.status, 201, made.text);
      const { rotated, replayed } = await raceRotation(
        made.body.id,
        'service_accounts',
        () => post(`/api/v1/tenants/${made.body.id}/client-secret:rotate`, undefined, { secret_overlap_seconds: 0 }, fx.cp.operatorToken),
        () => post('/api/v1/tenants', 'race-tenant', body, fx.cp.operatorToken),
      );
      assertRefused(replayed, [made.body.client_secret, rotated.body.client_secret]);
      assert.equal((await login(made.body.client_id, made.body.client_secret)).status, 401, 'the secret a replay would have given is dead');
      assert.equal((await login(made.body.client_id, rotated.body.client_secret)).status, 200);
    });

    it("a service account create's replay waits for a rotation in flight, then is 409", async () => {
      const made = await post('/api/v1/service-accounts', 'race-sa-create', { name: 'race-create' });
      assert.equal(made.status, 201, made.text);
      const { rotated, replayed } = await raceRotation(
        fx.t.id,
        'service_accounts',
        () => post(`/api/v1/service-accounts/${made.body.id}/secret:rotate`, undefined, { secret_overlap_seconds: 0 }),
        () => post('/api/v1/service-accounts', 'race-sa-create', { name: 'race-create' }),
      );
      assertRefused(replayed, [made.body.client_secret, rotated.body.client_secret]);
      assert.equal((await login(made.body.client_id, made.body.client_secret)).status, 401);
      assert.equal(await fx.cp.count('service_accounts', { tenant_id: fx.t.id, name: 'race-create' }), 1, 'no second service account');
    });

    it("a rotation's replay waits for a later rotation in flight, then is 409", async () => {
      const made = await post('/api/v1/service-accounts', undefined, { name: 'race-rotate' });
      assert.equal(made.status, 201, made.text);
      const path = `/api/v1/service-accounts/${made.body.id}/secret:rotate`;
      const first = await post(path, 'race-sa-rotate', { secret_overlap_seconds: 0 });
      assert.equal(first.status, 200, first.text);
      const { rotated, replayed } = await raceRotation(
        fx.t.id,
        'service_accounts',
        () => post(path, undefined, { secret_overlap_seconds: 0 }),
        () => post(path, 'race-sa-rotate', { secret_overlap_seconds: 0 }),
      );
      assertRefused(replayed, [first.body.client_secret, rotated.body.client_secret]);
      assert.equal((await login(made.body.client_id, first.body.client_secret)).status, 401);
      assert.equal((await login(made.body.client_id, rotated.body.client_secret)).status, 200);
    });

    it("a SCIM directory create's replay waits for a token rotation in flight, then is 409", async () => {
      const made = await post('/api/v1/identity/scim/configure', 'race-scim-create', { idp: 'okta' });
      assert.equal(made.status, 201, made.text);
      const { rotated, replayed } = await raceRotation(
        fx.t.id,
        'scim_directories',
        () => post(`/api/v1/identity/scim/directories/${made.body.id}/token:rotate`, undefined, { token_overlap_seconds: 0 }),
        () => post('/api/v1/identity/scim/configure', 'race-scim-create', { idp: 'okta' }),
      );
      assertRefused(replayed, [made.body.bearer_token, rotated.body.bearer_token]);
      assert.equal((await scimUsers(made.body.id, made.body.bearer_token)).status, 401);
      assert.equal((await scimUsers(made.body.id, rotated.body.bearer_token)).status, 200);
    });

    it('a replay while no rotation is in flight still answers at once, with the current secret', async () => {
      const made = await post('/api/v1/service-accounts', 'race-none', { name: 'race-none' });
      assert.equal(made.status, 201, made.text);
      const again = await post('/api/v1/service-accounts', 'race-none', { name: 'race-none' });
      assert.equal(again.status, 201, again.text);
      assert.deepEqual(again.body, made.body);
      assert.equal((await login(made.body.client_id, again.body.client_secret)).status, 200);
    });
  });

  // The read before an IdP call (peek) takes no lock and runs outside any transaction, so it
  // cannot wait for a rotation either: an answer that issued a secret is left to the replay in
  // the request's transaction, which can. Others it still answers, sparing the IdP call.
  describe(`Idempotency-Key: the lock-free read leaves secret-bearing answers to the replay [${kind}]`, function () {
    const fx = replayFixture(kind);

    async function peekAt(key: string) {
      const rec = await fx.cp.db('idempotency_keys').where({ key }).first();
      assert.ok(rec, `a record for ${key}`);
      return peek(fx.cp.db, new KeyRing(Buffer.from(fx.cp.masterKey, 'base64')), { scope: rec.scope, principal: rec.principal, key }, rec.request_hash);
    }

    it('answers a record without a secret, not one that issued a secret', async () => {
      const headers = (key: string) => ({ token: fx.t.token, headers: { 'Idempotency-Key': key } });
      const mapping = await fx.cp.request('POST', '/api/v1/identity/group-mappings', { ...headers('peek-mapping'), body: { group: 'claresia-peek', role: 'member' } });
      assert.equal(mapping.status, 201, mapping.text);
      const sa = await fx.cp.request('POST', '/api/v1/service-accounts', { ...headers('peek-sa'), body: { name: 'peek' } });
      assert.equal(sa.status, 201, sa.text);
      assert.deepEqual((await peekAt('peek-mapping'))?.body, mapping.body);
      assert.equal(await peekAt('peek-sa'), undefined);
    });
  });
}
