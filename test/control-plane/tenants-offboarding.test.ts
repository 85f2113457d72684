import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { followUntil, startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';
import { readAutoPostForm, startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { hashSecret } from '../../control-plane/src/crypto/secrets.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { greenSamlConnection, provision } from './rbac-support.js';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const FAST = {
  CLARESIA_JOBS_POLL_MS: '50',
  CLARESIA_WEBHOOK_RETRY_MS: '50',
  CLARESIA_WEBHOOK_MAX_RETRY_MS: '200',
  CLARESIA_WEBHOOK_TIMEOUT_MS: '2000',
  CLARESIA_PUBLISH_RETRY_MS: '50',
  CLARESIA_PUBLISH_MAX_RETRY_MS: '200',
};
const SECRET = 'whsec_offboarding_test_secret_0123456789';

/**
 * Offboarding a tenant stops everything that acts for it on its own: its IdP's SCIM pushes, its
 * users' sign-ins, its webhooks and publishes. Each entry point refuses an offboarded tenant by
 * itself (the tests that set the status directly show it), and offboarding also revokes what it
 * can (the tests through DELETE /api/v1/tenants/{id}).
 */
for (const kind of dbKinds()) {
  describe(`offboarding stops the tenant's entry points [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let oidc: OidcIdp;
    let receiver: WebhookReceiver;
    let platforms: PlatformServer;
    const logs: string[] = [];
    let restoreEnv = () => {};
    const as = (t: TenantFixture) => (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const offboard = (t: TenantFixture) => cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken });

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      idp = await startSamlIdp();
      oidc = await startOidcIdp();
      receiver = await startWebhookReceiver();
      platforms = await startPlatformServer();
      const sink = new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: pino({ level: 'info' }, sink) });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
      await oidc?.close();
      await receiver?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('SCIM: the directory token opens nothing once the tenant is offboarded; nothing is written or recorded', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'okta');
      const s = scim(cp, dir);
      const pre = await s('POST', '/Users', user('pre@acme.example'));
      assert.equal(pre.status, 201, pre.text);
      assert.equal((await offboard(t)).status, 204);
      const users = await cp.count('scim_users', { tenant_id: t.id });
      const events = await cp.count('governance_events', { tenant_id: t.id });

      for (const [method, path, body] of [
        ['POST', '/Users', user('post@acme.example')],
        ['GET', '/Users', undefined],
        ['PATCH', `/Users/${pre.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }],
        ['GET', '/ServiceProviderConfig', undefined],
      ] as const) {
        const res = await s(method, path, body);
        assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
        assert.deepEqual(res.body.schemas, [SCIM_ERROR]);
        assert.equal(res.body.status, '401');
      }
      assert.equal(await cp.count('scim_users', { tenant_id: t.id }), users, 'no user written');
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), events, 'nothing appended to the offboarded chain');
      const offboarded = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.offboarded' }).first();
      assert.equal(offboarded.data.scim_tokens_revoked, 1);
    });

    it('SCIM: a token that still matches (offboarded before tokens were revoked) is refused with the reason', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'entra');
      await cp.db('tenants').where({ id: t.id }).update({ status: 'offboarded' });
      const res = await scim(cp, dir)('POST', '/Users', user('late@acme.example'));
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(res.body.schemas, [SCIM_ERROR]);
      assert.match(res.body.detail, /offboarded/);
      assert.match(String(res.headers.get('www-authenticate')), /Bearer/);
      assert.equal(await cp.count('scim_users', { tenant_id: t.id }), 0);
      assert.equal(await cp.count('scim_rate_counters', { tenant_id: t.id }), 0, 'not counted against any budget');
    });

    it('webhooks: a delivery being retried is cancelled and the webhook disabled; the receiver gets nothing after', async () => {
      const t = await cp.createTenant();
      const api = as(t);
      const hook = await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET });
      assert.equal(hook.status, 201, hook.text);
      const dir = await makeDirectory(cp, t, 'okta');
      receiver.answer(503);
      assert.equal((await scim(cp, dir)('POST', '/Users', user('pending@acme.example'))).status, 201);
      await until('the receiver refused the first attempt', () => receiver.received.some((r) => r.body.includes('pending@acme.example')));
      assert.equal((await offboard(t)).status, 204);
      const delivery = await cp.db('webhook_deliveries').where({ tenant_id: t.id }).first();
      assert.equal(delivery.status, 'failed');
      assert.equal(delivery.last_error, 'tenant offboarded');
      assert.equal((await cp.db('webhooks').where({ id: hook.body.id }).first()).status, 'disabled');
      // A running attempt may still finish; nothing of this tenant is queued or retried afterwards.
      await until('no job of the tenant left', async () => (await cp.count('jobs', { tenant_id: t.id })) === 0);
      receiver.answer(200);
      const sent = receiver.received.filter((r) => r.body.includes('pending@acme.example')).length;
      // A live tenant's delivery made after the receiver is back shows the runner would have sent it by now.
      const live = await cp.createTenant();
      assert.equal((await as(live)('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET })).status, 201);
      assert.equal((await scim(cp, await makeDirectory(cp, live, 'okta'))('POST', '/Users', user('after@acme.example'))).status, 201);
      await until('the live tenant delivered', () => receiver.accepted().some((r) => r.body.includes('after@acme.example')));
      assert.equal(receiver.received.filter((r) => r.body.includes('pending@acme.example')).length, sent, 'no attempt after the jobs were gone');
    });

    it('the job runner drops a job of an offboarded tenant (a delivery and a publish queued afterwards) with a log line', async () => {
      const t = await cp.createTenant();
      const live = await cp.createTenant();
      const api = as(t);
      platforms.addAccount('claude', { credential: `claude-${t.id}`, scopes: ['skills'] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'claude', credential: `claude-${t.id}`, base_url: platforms.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      assert.equal((await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).status, 200);
      const hook = await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET });
      assert.equal(hook.status, 201, hook.text);
      await until('the first publish done', async () => (await cp.count('jobs', { tenant_id: t.id })) === 0);
      const publishes = platforms.calls.filter((x) => x.method === 'PUT').length;

      // Stands for jobs a replica enqueued or retried around the offboarding: the runner must refuse them itself.
      await cp.db('tenants').where({ id: t.id }).update({ status: 'offboarded' });
      const now = new Date();
      await cp.db('webhook_events').insert({ id: 'whe_offboarded0001', tenant_id: t.id, type: 'user.created', data: JSON.stringify({ email: 'ghost@acme.example' }), created_at: now });
      await cp.db('webhook_deliveries').insert({ id: 'whd_offboarded0001', tenant_id: t.id, webhook_id: hook.body.id, event_id: 'whe_offboarded0001', status: 'pending', attempts: 0, next_attempt_at: now, created_at: now });
      const job = (queue: string, payload: object) => ({ queue, key: `${queue}:${t.id}`, tenant_id: t.id, payload: JSON.stringify(payload), status: 'queued', attempts: 0, max_attempts: 5, run_after: now, created_at: now });
      await cp.db('jobs').insert([job('webhook.deliver', { delivery_id: 'whd_offboarded0001' }), job('distribution.publish', { tenant_id: t.id })]);
      // A live tenant's job queued after them shows the runner is working.
      const liveDir = await makeDirectory(cp, live, 'okta');
      assert.equal((await as(live)('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET })).status, 201);
      assert.equal((await scim(cp, liveDir)('POST', '/Users', user('alive@acme.example'))).status, 201);
      await until('the live tenant delivered', () => receiver.accepted().some((r) => r.body.includes('alive@acme.example')));
      await until('both jobs gone', async () => (await cp.count('jobs', { tenant_id: t.id })) === 0);

      assert.ok(!receiver.received.some((r) => r.body.includes('ghost@acme.example')), 'the delivery was not sent');
      assert.equal(platforms.calls.filter((x) => x.method === 'PUT').length, publishes, 'nothing published');
      const dropped = logs.filter((l) => l.includes('job dropped: its tenant is offboarded') && l.includes(t.id));
      assert.equal(dropped.length, 2, 'one log line per dropped job');
    });

    it('offboarding drops the queued publishes of the tenant', async () => {
      const t = await cp.createTenant();
      const api = as(t);
      platforms.addAccount('slack', { credential: `slack-${t.id}`, scopes: ['chat:write', 'commands', 'users:read', 'users:read.email'] });
      platforms.failPublishes('slack', Infinity);
      try {
        const c = await api('POST', '/api/v1/llm/connectors', { platform: 'slack', name: 'slack', credential: `slack-${t.id}`, base_url: platforms.baseUrl('slack') });
        // Connected by its automatic test alone: a :test by hand as well would queue a second
        // publish, which could still be running (not queued, so not dropped) at the offboarding.
        await until('connected by its automatic test', async () => (await api('GET', `/api/v1/llm/connectors/${c.body.id}`)).body.status === 'connected');
        // A failed publish waiting for its retry, as after a few failures in production (backoff up
        // to 5 min): not running, so nothing of it is in flight when the tenant is offboarded.
        await until('a failed publish waiting for its retry', async () => {
          const n = await cp.db('jobs').where({ tenant_id: t.id, queue: 'distribution.publish', status: 'queued' }).whereNotNull('last_error').update({ run_after: new Date(Date.now() + 3600_000) });
          return n === 1;
        });
        assert.equal((await offboard(t)).status, 204);
        assert.equal(await cp.count('jobs', { tenant_id: t.id, queue: 'distribution.publish' }), 0, 'dropped with the offboarding');
        // What takes the tenant's grants off the platform is the one job queued instead (llm-connector-lifecycle).
        assert.deepEqual(await cp.db('jobs').where({ tenant_id: t.id }).pluck('queue'), ['llm.connector_revoke']);
        const event = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.offboarded' }).first();
        assert.equal(event.data.jobs_dropped, 1, JSON.stringify(event.data));
      } finally {
        platforms.failPublishes('slack', 0);
      }
    });

    it('SSO: a sign-in neither starts nor completes for an offboarded tenant; one begun before offboarding is cancelled', async () => {
      const t = await cp.createTenant();
      const dir: Directory = await makeDirectory(cp, t, 'okta');
      await provision(cp, dir, [{ email: 'ada@acme.example', title: 'Software Engineer' }], { 'claresia-users': ['ada@acme.example'] });
      const conn = await greenSamlConnection(cp, t, idp);
      idp.user = { nameId: 'ada@acme.example', attributes: { email: 'ada@acme.example', firstName: 'Ada', lastName: 'L', groups: ['claresia-users'] } };
      const begin = async () => {
        const res = await fetch(`${cp.url}/api/v1/auth/sso/${conn}/login`, { redirect: 'manual' });
        assert.equal(res.status, 302, await res.text());
        return readAutoPostForm(await (await fetch(res.headers.get('location')!)).text());
      };
      const post = (form: { action: string; fields: Record<string, string> }) =>
        cp.request('POST', new URL(form.action).pathname, { raw: new URLSearchParams(form.fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

      // The end of a sign-in checks the tenant by itself (a sign-in racing the offboarding).
      const racing = await begin();
      await cp.db('tenants').where({ id: t.id }).update({ status: 'offboarded' });
      const refused = await post(racing);
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.error.code, 'tenant_offboarded');
      assert.equal(refused.body.access_token, undefined);
      const start = await cp.request('GET', `/api/v1/auth/sso/${conn}/login`);
      assert.equal(start.status, 403, start.text);
      assert.deepEqual([start.body.error.code, start.body.error.field], ['tenant_offboarded', 'connection_id']);
      await cp.db('tenants').where({ id: t.id }).update({ status: 'onboarding' });

      // Through the operator's DELETE: the sign-in begun before it cannot be completed after.
      const begun = await begin();
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      assert.equal((await offboard(t)).status, 204);
      const late = await post(begun);
      assert.ok(late.status === 400 || late.status === 403, late.text);
      assert.equal(late.body.access_token, undefined);
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions, 'no session issued');
      assert.equal(await cp.count('sso_login_states', { tenant_id: t.id }), 0);
      assert.equal((await cp.request('GET', `/api/v1/auth/sso/${conn}/login`)).status, 403);
    });

    it('SSO over OIDC: the callback issues no token for an offboarded tenant', async () => {
      const t = await cp.createTenant();
      const secret = 'oidc-client-secret-offboarding-1';
      const res = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'OIDC', protocol: 'oidc', discovery_url: oidc.discoveryUrl, client_id: `claresia-${t.id}`, client_secret: secret } });
      assert.equal(res.status, 201, res.text);
      const conn = res.body as { id: string; acs_url: string };
      oidc.addClient(`claresia-${t.id}`, secret, conn.acs_url);
      const test = await cp.request('POST', `/api/v1/identity/sso/connections/${conn.id}/test`, { token: t.token });
      const tested = new URL(await followUntil(test.body.redirect_url, conn.acs_url));
      assert.equal((await cp.request('GET', tested.pathname + tested.search)).body.status, 'green');
      await provision(cp, await makeDirectory(cp, t, 'okta'), [{ email: 'ada@acme.example' }], { 'claresia-users': ['ada@acme.example'] });
      oidc.user = { sub: 'sub-ada', claims: { email: 'ada@acme.example', email_verified: true, given_name: 'Ada', family_name: 'L', groups: [] } };
      const callback = async () => {
        const start = await fetch(`${cp.url}/api/v1/auth/sso/${conn.id}/login`, { redirect: 'manual' });
        assert.equal(start.status, 302, await start.text());
        const back = new URL(await followUntil(start.headers.get('location')!, conn.acs_url));
        return () => cp.request('GET', back.pathname + back.search);
      };

      const racing = await callback();
      await cp.db('tenants').where({ id: t.id }).update({ status: 'offboarded' });
      const refused = await racing();
      assert.equal(refused.status, 403, refused.text);
      assert.deepEqual([refused.body.error.code, refused.body.access_token], ['tenant_offboarded', undefined]);
      await cp.db('tenants').where({ id: t.id }).update({ status: 'onboarding' });

      const begun = await callback();
      const sessions = await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' });
      assert.equal((await offboard(t)).status, 204);
      const late = await begun();
      assert.equal(late.status, 400, late.text);
      assert.equal(late.body.error.code, 'invalid_state', 'its state went with the offboarding');
      assert.equal(await cp.count('auth_sessions', { tenant_id: t.id, subject_type: 'user' }), sessions, 'no session issued');
    });

    it("telemetry: a connector's ingest credential is revoked", async () => {
      const t = await cp.createTenant();
      platforms.addAccount('chatgpt', { credential: `chatgpt-${t.id}`, scopes: ['api.model.read'] });
      const c = await as(t)('POST', '/api/v1/llm/connectors', { platform: 'chatgpt', name: 'chatgpt', credential: `chatgpt-${t.id}`, base_url: platforms.baseUrl('chatgpt') });
      assert.equal(c.status, 201, c.text);
      assert.match(c.body.ingest_credential, /^ingest_/);
      assert.equal((await offboard(t)).status, 204);
      const stored = await cp.db('llm_connectors').where({ id: c.body.id }).first();
      assert.equal(stored.ingest_credential_hash, null);
      const sent = await cp.request('POST', '/api/v1/telemetry/events', { token: c.body.ingest_credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: 'after-offboarding' } });
      assert.equal(sent.status, 401, sent.text);
      assert.equal(await cp.count('telemetry_events', { tenant_id: t.id }), 0);
      assert.equal((await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.offboarded' }).first()).data.ingest_credentials_revoked, 1);
    });

    it('offboarding while an IdP write is half done waits for it instead of deadlocking', async function () {
      // PGlite has one connection: two transactions cannot hold locks at once there.
      if (kind !== 'pg') this.skip();
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'okta');
      // A SCIM user insert checks its foreign keys in name order: the directory, then the tenant.
      const write = await cp.db.transaction();
      try {
        await write.raw('SELECT 1 FROM scim_directories WHERE id = ? FOR KEY SHARE', [dir.id]);
        const offboarding = offboard(t);
        await until('the offboarding waits for the directory', async () => {
          const r = await cp.db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%update \"scim_directories\"%'");
          return r.rows[0].n === 1;
        });
        await write.raw('SELECT 1 FROM tenants WHERE id = ? FOR KEY SHARE', [t.id]);
        await write.commit();
        assert.equal((await offboarding).status, 204);
      } finally {
        if (!write.isCompleted()) await write.rollback().catch(() => {});
      }
    });
  });
}

// The token hash is what the SCIM check compares; a revoked token must not hash to any stored one.
describe('offboarding revokes SCIM tokens by replacing their hash', () => {
  it('the stored hash no longer matches the token', async () => {
    const cp = await startControlPlane();
    try {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'okta');
      assert.ok(await cp.db('scim_directories').where({ token_hash: hashSecret(dir.token) }).first());
      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 204);
      assert.equal(await cp.db('scim_directories').where({ token_hash: hashSecret(dir.token) }).first(), undefined);
    } finally {
      await cp.close();
    }
  });
});
