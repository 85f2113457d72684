import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

// Review v4 F2, F4, F5: a failed connector tested again by sending its credential (or base URL)
// again unchanged, which is all Terraform and Pulumi can do; GitHub's 403 rate limit is not a
// refused token for the connector test; offboarding erases the connectors' credentials.

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '300', CLARESIA_PUBLISH_MAX_RETRY_MS: '600', CLARESIA_PUBLISH_MAX_ATTEMPTS: '4' };

type GitHubMode = 'ok' | 'retry_after' | 'reset' | 'forbidden';

/** GitHub's /user as the copilot adapter tests it, with the ways GitHub answers 403. */
async function startGitHub() {
  let mode: GitHubMode = 'ok';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/user') {
        if (mode === 'retry_after') res.writeHead(403, { 'content-type': 'application/json', 'retry-after': '30' });
        else if (mode === 'reset') res.writeHead(403, { 'content-type': 'application/json', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) });
        else if (mode === 'forbidden') res.writeHead(403, { 'content-type': 'application/json' });
        else res.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': 'manage_billing:copilot, read:org' });
        return void res.end(JSON.stringify(mode === 'ok' ? { login: 'octo-admin' } : { message: 'forbidden' }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set(m: GitHubMode) {
      mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

for (const kind of dbKinds()) {
  describe(`llm connector recovery: testing again by re-sending, GitHub rate limits, offboarding [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let github: Awaited<ReturnType<typeof startGitHub>>;
    let t: TenantFixture;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const connector = async (id: string) => (await api('GET', `/api/v1/llm/connectors/${id}`)).body;
    const statusOf = async (id: string) => (await connector(id)).status as string;
    const events = (type: string, subject: string): Promise<any[]> => cp.db('governance_events').where({ tenant_id: t.id, type, subject }).orderBy('seq');
    const testsDone = () => until('no connector test queued or running', async () => (await cp.count('jobs', { queue: 'llm.connector_test' })) === 0);
    const key = () => `claude-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

    before(async () => {
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      github = await startGitHub();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    afterEach(() => github?.set('ok'));
    after(async () => {
      await cp?.close();
      await github?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('a failed connector is tested again when its credential or base URL is sent again unchanged; a connected one is not', async () => {
      // The key lacks the skills permission: the admin grants it on the platform, the key stays.
      const account = { credential: key(), scopes: [] as string[] };
      platforms.addAccount('claude', account);
      const made = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'claude scoped', credential: account.credential, base_url: platforms.baseUrl('claude') });
      assert.equal(made.status, 201, made.text);
      const id = made.body.id as string;
      await until('failed: the key lacks a permission', async () => (await statusOf(id)) === 'failed');
      const failed = await connector(id);
      assert.match(failed.status_reason, /^insufficient_scope: /);
      assert.match(failed.status_reason, /send its credential again, changed or not \(Terraform: a new credential_wo_version\), or POST \/api\/v1\/llm\/connectors\/llm_\w+:test$/);
      await testsDone();

      const sameUrl = await api('PATCH', `/api/v1/llm/connectors/${id}`, { base_url: platforms.baseUrl('claude') });
      assert.equal(sameUrl.status, 200, sameUrl.text);
      assert.equal(sameUrl.body.status, 'untested', 'the same base URL sent to a failed connector tests it again');
      await until('tested again, failed again', async () => (await events('connector.tested', id)).length === 2);
      assert.equal(await statusOf(id), 'failed');
      await testsDone();

      account.scopes.push('skills');
      const resent = await api('PATCH', `/api/v1/llm/connectors/${id}`, { credential: account.credential });
      assert.equal(resent.status, 200, resent.text);
      assert.equal(resent.body.status, 'untested');
      assert.equal(resent.body.status_reason, null);
      await until('connected once the platform granted the permission', async () => (await statusOf(id)) === 'connected');
      const changed = (await events('connector.config_changed', id)).map((e) => e.data.changes);
      assert.deepEqual(changed, [{ base_url: 'sent again' }, { credential: 'sent again' }]);
      assert.ok(!JSON.stringify(changed).includes(account.credential), 'no credential in the audit trail');
      await testsDone();

      const tested = (await events('connector.tested', id)).length;
      const again = await api('PATCH', `/api/v1/llm/connectors/${id}`, { credential: account.credential, base_url: platforms.baseUrl('claude') });
      assert.equal(again.body.status, 'connected', 'a connected connector sent the same credential stays as it is');
      assert.equal(again.body.status_reason, null);
      assert.equal(await cp.count('jobs', { queue: 'llm.connector_test' }), 0, 'and gets no test');
      assert.equal((await events('connector.config_changed', id)).length, 2, 'nothing changed, nothing audited');
      assert.equal((await events('connector.tested', id)).length, tested);
    });

    it("GitHub's 403 rate limit is a platform error for the copilot test, not a refused token; a plain 403 still is", async () => {
      github.set('reset');
      const made = await api('POST', '/api/v1/llm/connectors', { platform: 'copilot', name: 'copilot busy', credential: 'ghp_ratelimited0000000000000000000000', base_url: github.url });
      assert.equal(made.status, 201, made.text);
      const id = made.body.id as string;
      const waiting = await until('the automatic test waits out the rate limit', async () => {
        const c = await connector(id);
        return c.status_reason?.startsWith('waiting:') && c;
      });
      assert.equal(waiting.status, 'untested');
      assert.match(waiting.status_reason, /platform_error: the copilot API answered HTTP 403 \(rate_limited\)/);
      github.set('ok');
      await until('connected once the limit passed', async () => (await statusOf(id)) === 'connected');
      await testsDone();

      for (const mode of ['retry_after', 'reset'] as const) {
        github.set(mode);
        const res = await api('POST', `/api/v1/llm/connectors/${id}:test`);
        assert.equal(res.status, 422, res.text);
        assert.equal(res.body.error.code, 'platform_error', mode);
        assert.equal(res.body.connector.status, 'connected', `${mode}: a rate limit keeps a connected connector connected`);
      }

      github.set('forbidden');
      const refused = await api('POST', `/api/v1/llm/connectors/${id}:test`);
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'insufficient_scope');
      assert.equal(refused.body.connector.status, 'failed');
    });

    it("offboarding erases the tenant's connector credentials and fails its connectors, after queueing the revocation that keeps its own copy", async () => {
      const o = await cp.createTenant();
      const as = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: o.token, ...(body === undefined ? {} : { body }) });
      const account = { credential: key(), scopes: ['skills'] };
      platforms.addAccount('claude', account);
      const made = await as('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'claude leaving', credential: account.credential, base_url: platforms.baseUrl('claude') });
      assert.equal(made.status, 201, made.text);
      await until('connected', async () => (await as('GET', `/api/v1/llm/connectors/${made.body.id}`)).body.status === 'connected');

      const off = await cp.request('DELETE', `/api/v1/tenants/${o.id}`, { token: cp.operatorToken });
      assert.equal(off.status, 204, off.text);
      const row = await cp.db('llm_connectors').where({ id: made.body.id }).first();
      assert.equal(row.credential_enc, null);
      assert.equal(row.credential_key_id, null);
      assert.equal(row.status, 'failed');
      assert.match(row.status_reason, /tenant was offboarded/);
      const offboarded = await cp.db('governance_events').where({ tenant_id: o.id, type: 'tenant.offboarded' }).first();
      assert.equal(offboarded.data.connector_credentials_erased, 1);
      assert.equal(offboarded.data.grant_revocations_queued.length, 1);

      // The revocation still runs with the credential the connector had.
      await until('revoked', async () => (await cp.count('llm_connector_revocations', { connector_id: made.body.id, status: 'revoked' })) === 1);
      const revokeCall = platforms.calls.filter((x) => x.platform === 'claude' && x.path === '/v1/skills/grants').at(-1)!;
      assert.equal(revokeCall.headers['x-api-key'], account.credential);
    });
  });
}
