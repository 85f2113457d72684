import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import type { HttpResult } from '../support/http.js';
import { parseImportId, resourceByName } from '@claresia/catalog';
import { until } from '../support/until.js';
import { replayFixture } from './idempotency-support.js';

// An Idempotency-Key replay of a create that hands out a secret once (a service account, a tenant,
// a SCIM directory, an LLM connector) answered that secret even after a rotation had replaced it or
// the object had gone, so a retry landing late stored a dead secret; rotations were fixed before
// (idempotency-rotation.test.ts), creates were not.
for (const kind of dbKinds()) {
  describe(`Idempotency-Key replay of a create that issued a secret [${kind}]`, function () {
    const fx = replayFixture(kind, { platform: true });
    const { post, login, scimUsers, ingest } = fx;

    /** The first answer, then a retry with the same key: still current, so the same answer again. */
    async function createAndReplay(path: string, key: string, body: unknown, token = fx.t.token) {
      const first = await post(path, key, body, token);
      assert.equal(first.status, 201, first.text);
      const again = await post(path, key, body, token);
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('location'), first.headers.get('location'));
      assert.deepEqual(again.body, first.body);
      const record = await fx.cp.db('idempotency_keys').where({ key }).first();
      assert.ok(record.issued_credential, 'the record says which credential the create handed out');
      return first;
    }

    /** The refusal of a create's replay: names what it created, says why, and shows no secret. */
    function assertRefused(res: HttpResult, created: RegExp, why: RegExp, secrets: string[]) {
      assert.equal(res.status, 409, res.text);
      assert.equal(res.body.error.code, 'request_already_completed');
      assert.equal(res.body.error.field, 'Idempotency-Key');
      assert.match(res.body.error.message, created);
      assert.match(res.body.error.message, why);
      assert.match(res.body.error.message, /nothing was done/);
      assert.equal(res.headers.get('idempotent-replayed'), null);
      assert.equal(res.headers.get('location'), null);
      for (const s of secrets) assert.ok(!res.text.includes(s), 'no secret in the refusal');
    }
    const replaced = /has since been replaced by a later rotation/;
    const recreate = /Create it again if it is still wanted \(Terraform and Pulumi do on the next apply\)/;

    /**
     * Review v5 F5: a create's refusal tells a Terraform or Pulumi user (whose provider sends a
     * fresh key on every create, so "a new Idempotency-Key" means nothing to them) how to adopt the
     * object that exists, with an import ID the catalog accepts and the API reads, and where to
     * rotate its secret; the rotation it names is then done, giving a secret that works.
     */
    async function assertAdvice(res: HttpResult, resource: string | undefined, id: string, token: string) {
      const message = res.body.error.message as string;
      assert.doesNotMatch(message, /new Idempotency-Key/, 'no advice a provider user cannot follow');
      if (resource) {
        const def = resourceByName(resource);
        const tf = new RegExp(`terraform import claresia_${resource}\\.<name> (\\S+), or pulumi import claresia:index:${def.title} <name> (\\S+)\\)`).exec(message);
        assert.ok(tf, message);
        assert.equal(tf[1], id);
        assert.equal(tf[2], id);
        assert.ok('values' in parseImportId(def, id), 'an import ID the providers accept');
        const read = await fx.cp.request('GET', def.api.read.path.replace('{id}', id), { token });
        assert.equal(read.status, 200, read.text);
      } else {
        assert.doesNotMatch(message, /import/, 'no Terraform or Pulumi resource to import it as');
      }
      const rotate = /rotate its \w+ \(POST (\S+)\) to get a current one$/.exec(message);
      assert.ok(rotate, message);
      return post(rotate[1]!, undefined, undefined, token);
    }

    it('service account create: replayed while its secret is current, 409 once a rotation replaced it, and after its deletion', async () => {
      const made = await createAndReplay('/api/v1/service-accounts', 'sa-create-1', { name: 'create-replay' });
      const s1 = made.body.client_secret as string;
      const rotated = await post(`/api/v1/service-accounts/${made.body.id}/secret:rotate`, undefined, { secret_overlap_seconds: 0 });
      assert.equal(rotated.status, 200, rotated.text);
      const s2 = rotated.body.client_secret as string;

      for (let i = 0; i < 2; i++) {
        // Refused again on a further retry: the key never makes a second account.
        assertRefused(await post('/api/v1/service-accounts', 'sa-create-1', { name: 'create-replay' }), new RegExp(`it created service account ${made.body.id}, but the client_secret it issued`), replaced, [s1, s2]);
      }
      assert.equal(await fx.cp.count('service_accounts', { tenant_id: fx.t.id, name: 'create-replay' }), 1, 'no second service account');
      assert.equal((await login(made.body.client_id, s1)).status, 401, 'the secret the replay used to give is dead');
      assert.equal((await login(made.body.client_id, s2)).status, 200);
      const advised = await assertAdvice(await post('/api/v1/service-accounts', 'sa-create-1', { name: 'create-replay' }), undefined, made.body.id, fx.t.token);
      assert.equal(advised.status, 200, advised.text);
      assert.equal((await login(made.body.client_id, advised.body.client_secret)).status, 200, 'the rotation the refusal names gives a working secret');

      assert.equal((await fx.cp.request('DELETE', `/api/v1/service-accounts/${made.body.id}`, { token: fx.t.token })).status, 204);
      const gone = await post('/api/v1/service-accounts', 'sa-create-1', { name: 'create-replay' });
      assertRefused(gone, new RegExp(`service account ${made.body.id}`), /no longer works: the service account has since been deleted/, [s1, s2]);
      assert.match(gone.body.error.message, recreate);
      assert.equal(await fx.cp.count('service_accounts', { tenant_id: fx.t.id, name: 'create-replay' }), 1);
    });

    it('service account create: 409 when it was deleted with its secret still the one issued', async () => {
      const made = await createAndReplay('/api/v1/service-accounts', 'sa-create-deleted', { name: 'create-deleted' });
      assert.equal((await fx.cp.request('DELETE', `/api/v1/service-accounts/${made.body.id}`, { token: fx.t.token })).status, 204);
      const refused = await post('/api/v1/service-accounts', 'sa-create-deleted', { name: 'create-deleted' });
      assertRefused(refused, new RegExp(`it created service account ${made.body.id}`), /has since been deleted/, [made.body.client_secret]);
      assert.match(refused.body.error.message, recreate);
      assert.equal(await fx.cp.count('service_accounts', { tenant_id: fx.t.id, name: 'create-deleted' }), 1, 'no second service account');
    });

    const tenantBody = (slug: string) => ({ slug, display_name: 'Create Replay', region: 'eu-west-1', deployment_mode: 'A', billing_contact: `billing@${slug}.example` });

    it("tenant create: replayed while its first secret is current, 409 once the operator's rotation replaced it", async () => {
      const body = tenantBody(`create-replay-${kind}`);
      const made = await createAndReplay('/api/v1/tenants', 'tenant-create-1', body, fx.cp.operatorToken);
      const s1 = made.body.client_secret as string;
      const rotated = await post(`/api/v1/tenants/${made.body.id}/client-secret:rotate`, undefined, { secret_overlap_seconds: 0 }, fx.cp.operatorToken);
      assert.equal(rotated.status, 200, rotated.text);
      const s2 = rotated.body.client_secret as string;

      assertRefused(await post('/api/v1/tenants', 'tenant-create-1', body, fx.cp.operatorToken), new RegExp(`it created tenant ${made.body.id}, but the client_secret it issued for its service account`), replaced, [s1, s2]);
      assert.equal(await fx.cp.count('tenants', { slug: body.slug }), 1, 'no second tenant');
      assert.equal((await login(made.body.client_id, s1)).status, 401);
      assert.equal((await login(made.body.client_id, s2)).status, 200);
      const advised = await assertAdvice(await post('/api/v1/tenants', 'tenant-create-1', body, fx.cp.operatorToken), 'tenant', made.body.id, fx.cp.operatorToken);
      assert.equal(advised.status, 200, advised.text);
      assert.equal((await login(made.body.client_id, advised.body.client_secret)).status, 200, 'the rotation the refusal names gives a working secret');
    });

    it('tenant create: 409 once the tenant was offboarded, and its freed slug is not taken again by the retry', async () => {
      const body = tenantBody(`create-offboarded-${kind}`);
      const made = await createAndReplay('/api/v1/tenants', 'tenant-create-offboarded', body, fx.cp.operatorToken);
      assert.equal((await fx.cp.request('DELETE', `/api/v1/tenants/${made.body.id}`, { token: fx.cp.operatorToken })).status, 204);
      const refused = await post('/api/v1/tenants', 'tenant-create-offboarded', body, fx.cp.operatorToken);
      assertRefused(refused, new RegExp(`it created tenant ${made.body.id}`), /no longer works: the tenant has since been offboarded/, [made.body.client_secret]);
      assert.match(refused.body.error.message, recreate);
      assert.doesNotMatch(refused.body.error.message, /import/, 'nothing left to adopt');
      assert.equal(await fx.cp.count('tenants', { slug: body.slug }), 1, 'no new tenant under the slug the offboarding freed');
    });

    it("tenant create: 409 once the tenant's first service account was deleted, saying the tenant exists and how to adopt it", async () => {
      const body = tenantBody(`create-sa-deleted-${kind}`);
      const made = await createAndReplay('/api/v1/tenants', 'tenant-create-sa-deleted', body, fx.cp.operatorToken);
      const signedIn = await login(made.body.client_id, made.body.client_secret);
      assert.equal(signedIn.status, 200, signedIn.text);
      const token = signedIn.body.access_token as string;
      const other = await post('/api/v1/service-accounts', undefined, { name: 'second' }, token);
      assert.equal(other.status, 201, other.text);
      const first = await fx.cp.db('service_accounts').where({ tenant_id: made.body.id, client_id: made.body.client_id }).first('id');
      assert.equal((await fx.cp.request('DELETE', `/api/v1/service-accounts/${first.id}`, { token })).status, 204);

      const refused = await post('/api/v1/tenants', 'tenant-create-sa-deleted', body, fx.cp.operatorToken);
      assertRefused(refused, new RegExp(`it created tenant ${made.body.id}`), /no longer works: the service account has since been deleted/, [made.body.client_secret, other.body.client_secret]);
      const message = refused.body.error.message as string;
      assert.match(message, new RegExp(`The tenant ${made.body.id} exists: adopt it rather than create another \\(terraform import claresia_tenant\\.<name> ${made.body.id}, or pulumi import claresia:index:Tenant <name> ${made.body.id}\\)`));
      assert.match(message, /sign in with another of its service accounts/);
      assert.equal((await login(other.body.client_id, other.body.client_secret)).status, 200, 'as the refusal says, another account still signs in');
    });

    it('SCIM configure: replayed while its bearer token is current, 409 once a rotation replaced it (even in its overlap), and after deletion', async () => {
      const made = await createAndReplay('/api/v1/identity/scim/configure', 'scim-create-1', { idp: 'okta' });
      const token1 = made.body.bearer_token as string;
      const rotated = await post(`/api/v1/identity/scim/directories/${made.body.id}/token:rotate`, undefined, { token_overlap_seconds: 600 });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal((await scimUsers(made.body.id, token1)).status, 200, 'the first token is in its overlap');

      assertRefused(await post('/api/v1/identity/scim/configure', 'scim-create-1', { idp: 'okta' }), new RegExp(`it created SCIM directory ${made.body.id}, but the bearer_token it issued`), replaced, [token1, rotated.body.bearer_token]);
      assert.equal(await fx.cp.count('scim_directories', { tenant_id: fx.t.id }), 1, 'no second directory');
      const advised = await assertAdvice(await post('/api/v1/identity/scim/configure', 'scim-create-1', { idp: 'okta' }), 'scim_directory', made.body.id, fx.t.token);
      assert.equal(advised.status, 200, advised.text);
      assert.equal((await scimUsers(made.body.id, advised.body.bearer_token)).status, 200, 'the rotation the refusal names gives a working token');

      assert.equal((await fx.cp.request('DELETE', `/api/v1/identity/scim/directories/${made.body.id}`, { token: fx.t.token })).status, 204);
      const again = await post('/api/v1/identity/scim/configure', 'scim-create-1', { idp: 'okta' });
      assertRefused(again, new RegExp(`SCIM directory ${made.body.id}`), /no longer works: the SCIM directory has since been deleted/, [token1, rotated.body.bearer_token]);
      assert.match(again.body.error.message, recreate);
      assert.equal(await fx.cp.count('scim_directories', { tenant_id: fx.t.id }), 0, 'and none made anew');
    });

    it('LLM connector create: replayed while its ingest credential is current, 409 once a rotation replaced it, and after deletion', async () => {
      const body = { platform: 'claude', name: 'Create replay', credential: fx.platformKey, base_url: fx.platforms.baseUrl('claude') };
      const made = await createAndReplay('/api/v1/llm/connectors', 'llm-create-1', body);
      const c1 = made.body.ingest_credential as string;
      const rotated = await post(`/api/v1/llm/connectors/${made.body.id}/ingest-credential:rotate`, undefined);
      assert.equal(rotated.status, 200, rotated.text);
      const c2 = rotated.body.ingest_credential as string;

      assertRefused(await post('/api/v1/llm/connectors', 'llm-create-1', body), new RegExp(`it created LLM connector ${made.body.id}, but the ingest_credential it issued`), replaced, [c1, c2, fx.platformKey]);
      assert.equal(await fx.cp.count('llm_connectors', { tenant_id: fx.t.id, name: 'Create replay' }), 1, 'no second connector');
      assert.equal((await ingest(c1, 'create-old')).status, 401, 'the credential the replay used to give is dead');
      const advised = await assertAdvice(await post('/api/v1/llm/connectors', 'llm-create-1', body), 'llm_connector', made.body.id, fx.t.token);
      assert.equal(advised.status, 200, advised.text);
      // Events are taken from a connected connector only: its automatic test (a job) must have passed.
      await until('connected by its automatic test', async () => (await fx.cp.request('GET', `/api/v1/llm/connectors/${made.body.id}`, { token: fx.t.token })).body.status === 'connected');
      assert.equal((await ingest(advised.body.ingest_credential, 'create-advised')).status, 202, 'the rotation the refusal names gives a working credential');

      assert.equal((await fx.cp.request('DELETE', `/api/v1/llm/connectors/${made.body.id}`, { token: fx.t.token })).status, 204);
      const gone = await post('/api/v1/llm/connectors', 'llm-create-1', body);
      assertRefused(gone, new RegExp(`LLM connector ${made.body.id}`), /no longer works: the LLM connector has since been deleted/, [c1, c2, fx.platformKey]);
      assert.match(gone.body.error.message, recreate);
      assert.equal(await fx.cp.count('llm_connectors', { tenant_id: fx.t.id, name: 'Create replay' }), 0, 'and none made anew');
    });

    it('the OpenAPI document tells a create how to adopt the object a refused replay names', async () => {
      const doc = (await fx.cp.request('GET', '/api/v1/openapi.json')).body;
      for (const path of ['/api/v1/tenants', '/api/v1/service-accounts', '/api/v1/identity/scim/configure', '/api/v1/llm/connectors']) {
        const param = (doc.paths[path].post.parameters ?? []).find((p: any) => p.name === 'Idempotency-Key');
        assert.ok(param, path);
        assert.match(param.description, /409 request_already_completed.*for a create, adopt the object it names \(terraform import or pulumi import with its id\) and rotate its secret/s, path);
        assert.match(param.description, /in flight waits for it/, path);
      }
    });

    it('a create whose answer holds no secret replays as before, whatever became of its object', async () => {
      const body = { group: 'claresia-create-replay', role: 'member' };
      const made = await post('/api/v1/identity/group-mappings', 'mapping-create-1', body);
      assert.equal(made.status, 201, made.text);
      const record = await fx.cp.db('idempotency_keys').where({ key: 'mapping-create-1' }).first();
      assert.equal(record.issued_credential, null, 'nothing to check on a replay');
      assert.equal((await fx.cp.request('DELETE', `/api/v1/identity/group-mappings/${made.body.id}`, { token: fx.t.token })).status, 204);
      const again = await post('/api/v1/identity/group-mappings', 'mapping-create-1', body);
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, made.body);
    });
  });
}
