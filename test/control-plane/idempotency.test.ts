import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClaresiaClient } from '@claresia/client';
import { open } from '../../control-plane/src/crypto/secrets.js';
import { sweepIdempotencyKeys } from '../../control-plane/src/jobs/retention.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const HOUR = 3600_000;

/**
 * A loopback proxy that passes every request to the control plane but, for the first one
 * matching `lose`, drops the connection once the control plane has answered: the request
 * completed, and the client never heard.
 */
async function losingProxy(upstream: string, lose: (method: string, path: string) => boolean): Promise<{ url: string; lost: () => number; close: () => Promise<void> }> {
  let lost = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as Array<[string, string]>);
    const answer = await fetch(upstream + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const text = await answer.text();
    if (lost === 0 && lose(req.method!, req.url!)) {
      lost++;
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(k))));
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lost: () => lost,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const kind of dbKinds()) {
  describe(`Idempotency-Key records [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      // Private URLs: the SSO test's IdP is on loopback.
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    const post = (path: string, body: unknown, key: string, token = t.token) => cp.request('POST', path, { token, body, headers: { 'Idempotency-Key': key } });

    /** The stored reply, opened with the master key as the control plane opens it. */
    async function storedReply(key: string): Promise<{ row: Record<string, any>; body: string }> {
      const row = await cp.db('idempotency_keys').where({ key }).first();
      assert.ok(row, `a record for ${key}`);
      const body = open(Buffer.from(cp.masterKey, 'base64'), row.response_enc, `idempotency:${row.scope}:${row.principal}:${row.key}`).toString('utf8');
      return { row, body };
    }

    it('replays a retried create to the same caller with its status, body and Location', async () => {
      const body = { group: 'claresia-idem-replay', role: 'auditor' };
      const first = await post('/api/v1/identity/group-mappings', body, 'gm-replay-1');
      assert.equal(first.status, 201, first.text);
      const location = first.headers.get('location');
      assert.equal(location, `/api/v1/identity/group-mappings/${first.body.id}`);
      const again = await post('/api/v1/identity/group-mappings', body, 'gm-replay-1');
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('location'), location, 'the replay carries the original Location');
      const row = await cp.db('idempotency_keys').where({ key: 'gm-replay-1' }).first();
      assert.ok(!row.headers.includes(location), 'stored headers are sealed');
      assert.deepEqual(again.body, first.body);
      assert.equal(await cp.count('group_mappings', { tenant_id: t.id, group_name: 'claresia-idem-replay' }), 1);
    });

    it('replays a secret-bearing answer whole to the same caller, sealed, and makes no second object', async () => {
      const first = await post('/api/v1/identity/scim/configure', { idp: 'google' }, 'scim-secret-1');
      assert.equal(first.status, 201, first.text);
      const token = first.body.bearer_token as string;
      assert.ok(token);
      const location = first.headers.get('location')!;
      const { row, body } = await storedReply('scim-secret-1');
      assert.equal(row.holds_secret, true);
      assert.ok(!JSON.stringify(row).includes(token), 'the stored reply is sealed');
      assert.equal(JSON.parse(body).bearer_token, token);

      const again = await post('/api/v1/identity/scim/configure', { idp: 'google' }, 'scim-secret-1');
      assert.equal(again.status, 201, again.text);
      assert.deepEqual(again.body, first.body, 'the retry gets the token the first answer carried');
      assert.equal(again.headers.get('location'), location);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(await cp.count('scim_directories', { tenant_id: t.id }), 1);
      // A rotation is a POST with a secret in its answer too: its retry gets the same token, not a third.
      const rotate = await post(`${location}/token:rotate`, undefined, 'scim-rotate-1');
      assert.equal(rotate.status, 200, rotate.text);
      const rotatedAgain = await post(`${location}/token:rotate`, undefined, 'scim-rotate-1');
      assert.equal(rotatedAgain.status, 200, rotatedAgain.text);
      assert.equal(rotatedAgain.body.bearer_token, rotate.body.bearer_token);
      assert.equal((await cp.request('GET', `/scim/v2/${first.body.id}/Users`, { token: rotate.body.bearer_token })).status, 200, 'and that token is the live one');
    });

    it('replays the client secret of a new service account and of a new tenant', async () => {
      const sa = await post('/api/v1/service-accounts', { name: 'idem-bot' }, 'sa-secret-1');
      assert.equal(sa.status, 201, sa.text);
      const saAgain = await post('/api/v1/service-accounts', { name: 'idem-bot' }, 'sa-secret-1');
      assert.equal(saAgain.status, 201, saAgain.text);
      assert.deepEqual(saAgain.body, sa.body);
      assert.equal((await storedReply('sa-secret-1')).row.holds_secret, true);
      assert.equal(await cp.count('service_accounts', { tenant_id: t.id, name: 'idem-bot' }), 1);

      const tenant = { slug: 'idem-secret-co', display_name: 'Idem', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'billing@idem.example' };
      const created = await post('/api/v1/tenants', tenant, 'tenant-secret-1', cp.operatorToken);
      assert.equal(created.status, 201, created.text);
      const replayed = await post('/api/v1/tenants', tenant, 'tenant-secret-1', cp.operatorToken);
      assert.equal(replayed.status, 201, replayed.text);
      assert.equal(replayed.headers.get('location'), `/api/v1/tenants/${created.body.id}`);
      assert.equal(replayed.body.client_secret, created.body.client_secret);
      assert.equal(await cp.count('tenants', { slug: 'idem-secret-co' }), 1);
      const login = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: replayed.body.client_id, client_secret: replayed.body.client_secret } });
      assert.equal(login.status, 200, 'the replayed secret is the one that works');
    });

    it('keeps a secret-bearing answer one hour: later the key is forgotten, and the sweep deletes it while a plain answer stays', async () => {
      const dir = await post('/api/v1/identity/scim/configure', { idp: 'okta' }, 'secret-hour-dir');
      assert.equal(dir.status, 201, dir.text);
      const location = dir.headers.get('location')!;
      const rotate = await post(`${location}/token:rotate`, undefined, 'secret-hour-rotate');
      assert.equal(rotate.status, 200);
      await cp.db('idempotency_keys').where({ key: 'secret-hour-rotate' }).update({ created_at: new Date(Date.now() - 61 * 60_000) });
      const later = await post(`${location}/token:rotate`, undefined, 'secret-hour-rotate');
      assert.equal(later.status, 200, later.text);
      assert.equal(later.headers.get('idempotent-replayed'), null, 'not replayed after the hour');
      assert.notEqual(later.body.bearer_token, rotate.body.bearer_token);

      const mapping = await post('/api/v1/identity/group-mappings', { group: 'claresia-hour', role: 'member' }, 'plain-hour-gm');
      assert.equal(mapping.status, 201);
      const aged = new Date(Date.now() - 61 * 60_000);
      await cp.db('idempotency_keys').whereIn('key', ['secret-hour-dir', 'plain-hour-gm']).update({ created_at: aged });
      await sweepIdempotencyKeys(cp.db);
      assert.equal(await cp.count('idempotency_keys', { key: 'secret-hour-dir' }), 0, 'a secret is not kept past the hour');
      assert.equal(await cp.count('idempotency_keys', { key: 'plain-hour-gm' }), 1);
      assert.equal((await post('/api/v1/identity/group-mappings', { group: 'claresia-hour', role: 'member' }, 'plain-hour-gm')).headers.get('idempotent-replayed'), 'true');
    });

    it('binds a key to the caller: another service account of the tenant gets no replay of it', async () => {
      const first = await post('/api/v1/identity/scim/configure', { idp: 'okta' }, 'shared-key-1');
      assert.equal(first.status, 201);
      const sa2 = await post('/api/v1/service-accounts', { name: 'second-bot' }, 'sa2-create');
      const token2 = (await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: sa2.body.client_id, client_secret: sa2.body.client_secret } })).body.access_token as string;
      const other = await post('/api/v1/identity/scim/configure', { idp: 'okta' }, 'shared-key-1', token2);
      assert.equal(other.status, 201, other.text);
      assert.equal(other.headers.get('idempotent-replayed'), null);
      assert.notEqual(other.body.id, first.body.id);
      assert.notEqual(other.body.bearer_token, first.body.bearer_token);
      // Nor does the other one see a non-secret reply of the first.
      const mapping = { group: 'claresia-bound', role: 'member' };
      assert.equal((await post('/api/v1/identity/group-mappings', mapping, 'bound-gm')).status, 201);
      const otherMapping = await post('/api/v1/identity/group-mappings', mapping, 'bound-gm', token2);
      assert.equal(otherMapping.status, 409, 'runs as a new request: the group is already mapped');
      assert.equal(otherMapping.body.error.code, 'conflict');
      const principals = (await cp.db('idempotency_keys').where({ scope: t.id, key: 'shared-key-1' }).pluck('principal')).sort();
      assert.equal(principals.length, 2);
      assert.ok(principals.includes(`service_account:${sa2.body.id}`), principals.join());
    });

    it('forgets a key after 24 h: a later request with it runs anew, and the sweep deletes the record', async () => {
      const hook = { url: 'https://hooks.example/idem', events: ['user.created'], secret: '0123456789abcdef0' };
      const first = await post('/api/v1/webhooks', hook, 'hook-expiry-1');
      assert.equal(first.status, 201, first.text);
      assert.equal((await post('/api/v1/webhooks', hook, 'hook-expiry-1')).headers.get('idempotent-replayed'), 'true');
      await cp.db('idempotency_keys').where({ key: 'hook-expiry-1' }).update({ created_at: new Date(Date.now() - 25 * HOUR) });
      const later = await post('/api/v1/webhooks', hook, 'hook-expiry-1');
      assert.equal(later.status, 201, later.text);
      assert.equal(later.headers.get('idempotent-replayed'), null);
      assert.notEqual(later.body.id, first.body.id);

      await cp.db('idempotency_keys').where({ key: 'hook-expiry-1' }).update({ created_at: new Date(Date.now() - 25 * HOUR) });
      await cp.db('idempotency_keys').where({ key: 'gm-replay-1' }).update({ created_at: new Date(Date.now() - 23 * HOUR) });
      const now = new Date();
      const old = await cp.db('idempotency_keys').where('created_at', '<', new Date(now.getTime() - 24 * HOUR)).count<{ n: number }[]>({ n: '*' });
      assert.equal(await sweepIdempotencyKeys(cp.db, now), Number(old[0]!.n));
      assert.equal(await cp.count('idempotency_keys', { key: 'hook-expiry-1' }), 0);
      assert.equal(await cp.count('idempotency_keys', { key: 'gm-replay-1' }), 1, 'a 23 h old record is kept');
      assert.equal(await sweepIdempotencyKeys(cp.db, now), 0);
    });

    it('documents the Idempotency-Key header on the POSTs that replay it, and only there', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      const takesKey = (path: string) => (doc.paths[path].post.parameters ?? []).some((p: any) => p.name === 'Idempotency-Key' && p.in === 'header');
      for (const path of ['/api/v1/identity/scim/configure', '/api/v1/tenants', '/api/v1/service-accounts', '/api/v1/identity/scim/directories/{id}/token:rotate', '/api/v1/webhooks']) {
        assert.ok(takesKey(path), path);
      }
      // Routes that call out before writing, and the anonymous token exchange, do not replay.
      for (const path of ['/api/v1/roster/csv', '/api/v1/llm/connectors/{id}:test', '/api/v1/auth/token']) assert.ok(!takesKey(path), path);
      const param = doc.paths['/api/v1/webhooks'].post.parameters.find((p: any) => p.name === 'Idempotency-Key');
      assert.match(param.description, /24 h.*secret.*1 h/s);
    });

    it("the shared client's retry after a lost answer makes no second object and gets the secret", async () => {
      const proxy = await losingProxy(cp.url, (method, path) => method === 'POST' && path === '/api/v1/identity/scim/configure');
      try {
        const client = new ClaresiaClient({ endpoint: proxy.url, token: t.token, maxRetries: 3, sleep: async () => {} });
        const before = await cp.count('scim_directories', { tenant_id: t.id });
        const { status, body: made } = await client.post('/api/v1/identity/scim/configure', { body: { idp: 'jumpcloud' } });
        assert.equal(status, 201);
        assert.equal(proxy.lost(), 1, 'the first answer was lost after the directory was made');
        assert.equal(await cp.count('scim_directories', { tenant_id: t.id }), before + 1);
        assert.match(made.bearer_token, /\S{20,}/);
        const scim = await cp.request('GET', `/scim/v2/${made.id}/Users`, { token: made.bearer_token });
        assert.equal(scim.status, 200, 'the token the retry got opens the directory');
      } finally {
        await proxy.close();
      }
    });

    it('a retried SSO configure is answered from its record without asking the IdP again', async () => {
      let fetches = 0;
      const idp: Server = createServer((req, res) => {
        fetches++;
        const origin = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: origin, authorization_endpoint: `${origin}/auth`, token_endpoint: `${origin}/token`, jwks_uri: `${origin}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] }));
      });
      await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
      const discovery = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/openid-configuration`;
      const body = { name: 'Prepared once', protocol: 'oidc', discovery_url: discovery, client_id: 'claresia', client_secret: 'prepared-once-secret-1' };
      const first = await post('/api/v1/identity/sso/configure', body, 'sso-prepare-once');
      assert.equal(first.status, 201, first.text);
      const asked = fetches;
      assert.ok(asked > 0);
      idp.closeAllConnections();
      await new Promise<void>((resolve) => idp.close(() => resolve()));
      // The IdP is gone: a retry that fetched again would fail with its error.
      const again = await post('/api/v1/identity/sso/configure', body, 'sso-prepare-once');
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(fetches, asked);
      // The same key with another body is still refused before anything is fetched.
      const other = await post('/api/v1/identity/sso/configure', { ...body, name: 'Other' }, 'sso-prepare-once');
      assert.equal(other.status, 422, other.text);
      assert.equal(other.body.error.field, 'Idempotency-Key');
      assert.equal(await cp.count('sso_connections', { tenant_id: t.id, name: 'Prepared once' }), 1);
    });
  });
}
