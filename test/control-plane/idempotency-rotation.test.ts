import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import type { HttpResult } from '../support/http.js';
import { replayFixture } from './idempotency-support.js';

// Review v2 F8: an Idempotency-Key replay of a rotation answered the secret that rotation made even
// after a later rotation had replaced it, so a retry that landed late stored a dead secret.
for (const kind of dbKinds()) {
  describe(`Idempotency-Key replay of a credential rotation [${kind}]`, function () {
    const fx = replayFixture(kind, { platform: true });
    const { post, login, ingest } = fx;

    async function serviceAccount(name: string) {
      const made = await post('/api/v1/service-accounts', undefined, { name });
      assert.equal(made.status, 201, made.text);
      return made.body as { id: string; client_id: string; client_secret: string };
    }

    /** The refusal of a replay whose secret was replaced, which must show neither secret. */
    function assertSuperseded(res: HttpResult, field: string, secrets: string[], why: RegExp | string = /replaced by a later rotation/) {
      assert.equal(res.status, 409, res.text);
      assert.equal(res.body.error.code, 'request_already_completed');
      assert.equal(res.body.error.field, 'Idempotency-Key');
      assert.match(res.body.error.message, new RegExp(field));
      if (typeof why === 'string') assert.ok(res.body.error.message.endsWith(why), `${res.body.error.message}\n  should end with\n${why}`);
      else assert.match(res.body.error.message, why);
      assert.equal(res.headers.get('idempotent-replayed'), null);
      for (const s of secrets) assert.ok(!res.text.includes(s), 'no secret in the refusal');
    }

    /**
     * What a replaced rotation's refusal says to do: the exact rotation to send again, and, for a
     * credential Terraform and Pulumi hold, that neither rotates it, so no apply brings a current one.
     */
    const sendAgain = (field: string, requests: string, managed: boolean) =>
      `replaced by a later rotation, so that answer is not given again and nothing was done. For a current ${field}, send the rotation again with a new Idempotency-Key: ${requests}` +
      (managed ? `. Terraform and Pulumi never rotate it, so no apply gets one, and the ${field} in their state is the one issued at creation, replaced since` : '');

    it("service account secret:rotate: a replay answers the rotation's secret while it is current, and 409 once a later rotation replaced it", async () => {
      const sa = await serviceAccount('rot-replay');
      const path = `/api/v1/service-accounts/${sa.id}/secret:rotate`;
      const first = await post(path, 'sa-rot-1', { secret_overlap_seconds: 0 });
      assert.equal(first.status, 200, first.text);
      const s1 = first.body.client_secret as string;

      // Still current: replayed exactly as before this fix.
      const replayed = await post(path, 'sa-rot-1', { secret_overlap_seconds: 0 });
      assert.equal(replayed.status, 200, replayed.text);
      assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replayed.body, first.body);
      const record = await fx.cp.db('idempotency_keys').where({ key: 'sa-rot-1' }).first();
      assert.ok(record.issued_credential, 'the record says which credential it handed out');
      assert.ok(!JSON.stringify(record).includes(s1), 'and keeps no secret in clear');

      const second = await post(path, undefined, { secret_overlap_seconds: 0 });
      assert.equal(second.status, 200, second.text);
      const s2 = second.body.client_secret as string;
      const rotations = await fx.cp.count('governance_events', { tenant_id: fx.t.id, type: 'service_account.secret_rotated', subject: sa.id });

      for (let i = 0; i < 2; i++) {
        // A retry refused once is refused again: the key does not run the rotation anew.
        // An account the tenant made: no Terraform or Pulumi resource holds its secret.
        assertSuperseded(await post(path, 'sa-rot-1', { secret_overlap_seconds: 0 }), 'client_secret', [s1, s2], sendAgain('client_secret', `POST ${path}`, false));
      }
      assert.equal(await fx.cp.count('governance_events', { tenant_id: fx.t.id, type: 'service_account.secret_rotated', subject: sa.id }), rotations, 'nothing was rotated');
      assert.equal((await login(sa.client_id, s1)).status, 401, 'the secret the replay used to give is dead');
      assert.equal((await login(sa.client_id, s2)).status, 200, 'the current one still works');
    });

    it("is 409 too while the replaced secret still works in the later rotation's overlap", async () => {
      const sa = await serviceAccount('rot-overlap');
      const path = `/api/v1/service-accounts/${sa.id}/secret:rotate`;
      const first = await post(path, 'sa-rot-overlap');
      assert.equal(first.status, 200, first.text);
      const later = await post(path, undefined, { secret_overlap_seconds: 3600 });
      assert.equal(later.status, 200, later.text);
      assert.equal((await login(sa.client_id, first.body.client_secret)).status, 200, 'the first secret is in its overlap');
      assertSuperseded(await post(path, 'sa-rot-overlap'), 'client_secret', [first.body.client_secret, later.body.client_secret]);
    });

    it('is 409 when the service account was deleted since', async () => {
      const sa = await serviceAccount('rot-deleted');
      const path = `/api/v1/service-accounts/${sa.id}/secret:rotate`;
      const first = await post(path, 'sa-rot-deleted');
      assert.equal(first.status, 200, first.text);
      assert.equal((await fx.cp.request('DELETE', `/api/v1/service-accounts/${sa.id}`, { token: fx.t.token })).status, 204);
      assertSuperseded(await post(path, 'sa-rot-deleted'), 'client_secret', [first.body.client_secret], /service account has since been deleted/);
    });

    it("operator client-secret:rotate of a tenant's first secret: replayed while current, 409 after a later rotation", async () => {
      const other = await fx.cp.createTenant();
      const path = `/api/v1/tenants/${other.id}/client-secret:rotate`;
      const first = await post(path, 'op-rot-1', { secret_overlap_seconds: 0 }, fx.cp.operatorToken);
      assert.equal(first.status, 200, first.text);
      const replayed = await post(path, 'op-rot-1', { secret_overlap_seconds: 0 }, fx.cp.operatorToken);
      assert.equal(replayed.status, 200, replayed.text);
      assert.equal(replayed.body.client_secret, first.body.client_secret);
      const second = await post(path, undefined, { secret_overlap_seconds: 0 }, fx.cp.operatorToken);
      assert.equal(second.status, 200, second.text);
      // The tenant's own client_id, which the tenant resource holds, rotated at either of two paths.
      const both = `POST /api/v1/service-accounts/${first.body.id}/secret:rotate (a tenant_admin) or POST ${path} (the operator)`;
      assertSuperseded(await post(path, 'op-rot-1', { secret_overlap_seconds: 0 }, fx.cp.operatorToken), 'client_secret', [first.body.client_secret, second.body.client_secret], sendAgain('client_secret', both, true));
      assert.equal((await login(other.clientId, first.body.client_secret)).status, 401);
      assert.equal((await login(other.clientId, second.body.client_secret)).status, 200);
    });

    it('operator client-secret:rotate: 409 once the tenant was offboarded, whose credentials are gone', async () => {
      const other = await fx.cp.createTenant();
      const path = `/api/v1/tenants/${other.id}/client-secret:rotate`;
      const first = await post(path, 'op-rot-offboarded', undefined, fx.cp.operatorToken);
      assert.equal(first.status, 200, first.text);
      assert.equal((await fx.cp.request('DELETE', `/api/v1/tenants/${other.id}`, { token: fx.cp.operatorToken })).status, 204);
      assertSuperseded(await post(path, 'op-rot-offboarded', undefined, fx.cp.operatorToken), 'client_secret', [first.body.client_secret], /deleted, or its tenant offboarded/);
    });

    it('SCIM token:rotate: replayed while current, 409 after a later rotation (with or without its overlap)', async () => {
      const dir = await post('/api/v1/identity/scim/configure', undefined, { idp: 'okta' });
      assert.equal(dir.status, 201, dir.text);
      const path = `/api/v1/identity/scim/directories/${dir.body.id}/token:rotate`;
      const users = (token: string) => fx.cp.request('GET', `/scim/v2/${dir.body.id}/Users`, { token });

      const first = await post(path, 'scim-rot-1');
      assert.equal(first.status, 200, first.text);
      const replayed = await post(path, 'scim-rot-1');
      assert.equal(replayed.status, 200, replayed.text);
      assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
      assert.equal(replayed.body.bearer_token, first.body.bearer_token);

      const second = await post(path, undefined, { token_overlap_seconds: 600 });
      assert.equal(second.status, 200, second.text);
      assert.equal((await users(first.body.bearer_token)).status, 200, 'the first token is in its overlap');
      assertSuperseded(await post(path, 'scim-rot-1'), 'bearer_token', [first.body.bearer_token, second.body.bearer_token], sendAgain('bearer_token', `POST ${path}`, true));

      const third = await post(path, undefined);
      assert.equal(third.status, 200, third.text);
      assertSuperseded(await post(path, 'scim-rot-1'), 'bearer_token', [first.body.bearer_token, third.body.bearer_token]);
      assert.equal((await users(first.body.bearer_token)).status, 401, 'the token the replay used to give is dead');
      assert.equal((await users(third.body.bearer_token)).status, 200);
    });

    it('LLM connector ingest-credential:rotate: replayed while current, 409 after a later rotation', async () => {
      const made = await post('/api/v1/llm/connectors', undefined, { platform: 'claude', name: 'Claude', credential: fx.platformKey, base_url: fx.platforms.baseUrl('claude') });
      assert.equal(made.status, 201, made.text);
      const tested = await post(`/api/v1/llm/connectors/${made.body.id}:test`, undefined);
      assert.equal(tested.body.status, 'connected', tested.text);
      const path = `/api/v1/llm/connectors/${made.body.id}/ingest-credential:rotate`;

      const first = await post(path, 'ingest-rot-1');
      assert.equal(first.status, 200, first.text);
      const replayed = await post(path, 'ingest-rot-1');
      assert.equal(replayed.status, 200, replayed.text);
      assert.equal(replayed.body.ingest_credential, first.body.ingest_credential);

      const second = await post(path, undefined);
      assert.equal(second.status, 200, second.text);
      assertSuperseded(await post(path, 'ingest-rot-1'), 'ingest_credential', [first.body.ingest_credential, second.body.ingest_credential], sendAgain('ingest_credential', `POST ${path}`, true));
      assert.equal((await ingest(first.body.ingest_credential, 'rot-old')).status, 401, 'the credential the replay used to give is dead');
      assert.equal((await ingest(second.body.ingest_credential, 'rot-new')).status, 202);
    });

    it('the OpenAPI document says so on the rotations that take an Idempotency-Key', async () => {
      const doc = (await fx.cp.request('GET', '/api/v1/openapi.json')).body;
      for (const path of [
        '/api/v1/service-accounts/{id}/secret:rotate',
        '/api/v1/tenants/{id}/client-secret:rotate',
        '/api/v1/identity/scim/directories/{id}/token:rotate',
        '/api/v1/llm/connectors/{id}/ingest-credential:rotate',
      ]) {
        const param = (doc.paths[path].post.parameters ?? []).find((p: any) => p.name === 'Idempotency-Key');
        assert.ok(param, path);
        assert.match(param.description, /later rotation has replaced it.*409 request_already_completed/s, path);
      }
    });
  });
}
