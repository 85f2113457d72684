import assert from 'node:assert/strict';
import net from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { makeDirectory, scim, user } from './scim/helpers.js';

/** The value of one series in a Prometheus text page, or undefined when it is not there. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A loopback port nothing listens on: a receiver that is down. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const FAST = {
  CLARESIA_JOBS_POLL_MS: '50',
  CLARESIA_WEBHOOK_RETRY_MS: '50',
  CLARESIA_WEBHOOK_MAX_RETRY_MS: '300',
  CLARESIA_PUBLISH_RETRY_MS: '50',
  CLARESIA_PUBLISH_MAX_RETRY_MS: '200',
  CLARESIA_PUBLISH_MAX_ATTEMPTS: '2',
};

for (const kind of dbKinds()) {
  describe(`/metrics: what an SRE alerts on, read from the database when scraped [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let receiver: WebhookReceiver;
    let double: PlatformServer;
    let restoreEnv = () => {};
    const api = (t: TenantFixture, method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });

    before(async () => {
      restoreEnv = withEnv(FAST);
      receiver = await startWebhookReceiver();
      double = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await receiver?.close();
      await double?.close();
      restoreEnv();
    });

    it('webhook deliveries: one retrying against a receiver that is down, one failed for good (410), and none of an offboarded tenant', async () => {
      let page = await cp.metrics();
      assert.equal(sample(page, 'claresia_webhook_deliveries_retrying'), 0, 'there before the first failure');
      assert.equal(sample(page, 'claresia_webhook_deliveries_failed'), 0);

      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t);
      const down = await api(t, 'POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${await closedPort()}/hook`, events: ['user.created'], secret: 'whsec-down-0123456789abcdef' });
      assert.equal(down.status, 201, down.text);
      receiver.answer(410);
      const gone = await api(t, 'POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: 'whsec-gone-0123456789abcdef' });
      assert.equal(gone.status, 201, gone.text);
      const created = await scim(cp, dir)('POST', '/Users', user('watched@acme.example'));
      assert.equal(created.status, 201, created.text);
      const delivery = (hook: string) => cp.db('webhook_deliveries').where({ webhook_id: hook }).first();
      await until('the delivery to the closed port failed an attempt', async () => (await delivery(down.body.id))?.attempts >= 2);
      await until('the 410 failed its delivery for good', async () => (await delivery(gone.body.id))?.status === 'failed');

      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_webhook_deliveries_pending'), 1);
      assert.equal(sample(page, 'claresia_webhook_deliveries_retrying'), 1);
      assert.equal(sample(page, 'claresia_webhook_deliveries_failed'), 1);
      const created_at = new Date((await delivery(down.body.id)).created_at).getTime();
      const age = sample(page, 'claresia_webhook_oldest_retrying_age_seconds')!;
      assert.ok(age > 0 && age <= (Date.now() - created_at) / 1000 + 5, `oldest retrying for ${age} s`);

      // Offboarding fails the retrying delivery ('tenant offboarded'): nothing to page anyone about.
      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 204);
      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_webhook_deliveries_pending'), 0);
      assert.equal(sample(page, 'claresia_webhook_deliveries_retrying'), 0);
      assert.equal(sample(page, 'claresia_webhook_deliveries_failed'), 0);
      receiver.answer(200);
    });

    it('publishing: a request failed after its retries, the connector whose publish failed, a failed connector by platform', async () => {
      let page = await cp.metrics();
      assert.equal(sample(page, 'claresia_distribution_requests_failed'), 0);
      assert.equal(sample(page, 'claresia_llm_connectors_publish_failing{platform="claude"}'), 0);
      assert.equal(sample(page, 'claresia_llm_connectors{platform="claude",status="connected"}'), 0);

      const t = await cp.createTenant();
      const credential = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential, scopes: ['skills'] });
      const c = await api(t, 'POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential, base_url: `${double.url}/claude` });
      assert.equal(c.status, 201, c.text);
      assert.equal((await api(t, 'POST', `/api/v1/llm/connectors/${c.body.id}:test`)).body.status, 'connected');
      const idle = async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) + (await cp.count('jobs', { tenant_id: t.id })) === 0;
      await until('the publish the passing test queued is done', idle);

      // The platform answers 503 to every publish: retried, then failed (CLARESIA_PUBLISH_MAX_ATTEMPTS 2).
      double.failPublishes('claude', 1000);
      const r = await api(t, 'POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'metrics' });
      assert.equal(r.status, 202, r.text);
      await until('the request failed', async () => (await cp.db('distribution_requests').where({ id: r.body.id }).first()).status === 'failed');

      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_distribution_requests_failed'), 1);
      assert.equal(sample(page, 'claresia_distribution_requests_pending'), 0);
      assert.equal(sample(page, 'claresia_distribution_oldest_pending_age_seconds'), 0);
      assert.equal(sample(page, 'claresia_llm_connectors_publish_failing{platform="claude"}'), 1);
      assert.equal(sample(page, 'claresia_llm_connectors{platform="claude",status="connected"}'), 1, 'a 503 leaves it connected');
      double.failPublishes('claude', 0);

      // A connector whose credential the platform refuses, in another tenant.
      const other = await cp.createTenant();
      const bad = await api(other, 'POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: 'not-a-key-the-platform-knows', base_url: `${double.url}/claude` });
      assert.equal(bad.status, 201, bad.text);
      assert.equal((await api(other, 'POST', `/api/v1/llm/connectors/${bad.body.id}:test`)).body.connector.status, 'failed');
      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_llm_connectors{platform="claude",status="failed"}'), 1);
      assert.equal(sample(page, 'claresia_llm_connectors{platform="slack",status="failed"}'), 0, 'every platform and status has its series');
    });

    it('hubs by mode and status', async () => {
      const t = await cp.createTenant();
      const hub = await api(t, 'POST', '/api/v1/hub/provision', { mode: 'A' });
      assert.ok([200, 201, 202].includes(hub.status), hub.text);
      await until('the hub is ready', async () => (await api(t, 'GET', '/api/v1/hub')).body.status === 'ready');
      const page = await cp.metrics();
      assert.equal(sample(page, 'claresia_hubs{mode="A",status="ready"}'), 1);
      assert.equal(sample(page, 'claresia_hubs{mode="C",status="failed"}'), 0);
    });

    it('the audit chain: the outcome and time of the last verification that checked out, and of one that found a break', async () => {
      let page = await cp.metrics();
      assert.equal(sample(page, 'claresia_audit_chains{outcome="broken"}'), 0);
      assert.equal(sample(page, 'claresia_audit_last_verification_timestamp_seconds{outcome="broken"}'), undefined, 'no break was ever found');

      const t = await cp.createTenant();
      const before = Math.floor(Date.now() / 1000);
      const ok = await api(t, 'GET', '/api/v1/hub/governance-events:verify');
      assert.equal(ok.body.ok, true, ok.text);
      page = await cp.metrics();
      const verifiedAt = sample(page, 'claresia_audit_last_verification_timestamp_seconds{outcome="verified"}')!;
      assert.ok(verifiedAt >= before - 5 && verifiedAt <= Date.now() / 1000 + 5, `verified at ${verifiedAt}`);
      const verified = sample(page, 'claresia_audit_chains{outcome="verified"}')!;
      assert.ok(verified >= 1);

      const [victim] = await cp.db('governance_events').where({ tenant_id: t.id }).orderBy('seq').limit(1);
      await cp.db('governance_events').where({ id: victim.id }).update({ actor: 'someone-else' });
      const broken = await api(t, 'GET', '/api/v1/hub/governance-events:verify');
      assert.equal(broken.body.ok, false, broken.text);
      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_audit_chains{outcome="broken"}'), 1);
      assert.equal(sample(page, 'claresia_audit_chains{outcome="verified"}'), verified - 1);
      assert.ok(sample(page, 'claresia_audit_last_verification_timestamp_seconds{outcome="broken"}')! >= before - 5);
    });

    it('leaves every database figure out, rather than reporting 0, when the scrape cannot read them', async () => {
      // A figure the query cannot read stands for a database that does not answer: the scrape
      // must not say "nothing failing" about what it could not see.
      await cp.db.raw('ALTER TABLE audit_verified RENAME TO audit_verified_away');
      try {
        const page = await cp.metrics();
        assert.equal(sample(page, 'claresia_database_up'), 0);
        for (const name of ['claresia_webhook_deliveries_failed', 'claresia_webhook_deliveries_retrying', 'claresia_distribution_requests_failed', 'claresia_llm_connectors{', 'claresia_hubs{', 'claresia_audit_chains{', 'claresia_jobs_ready{']) {
          assert.ok(!page.split('\n').some((l) => l.startsWith(name)), `${name} left out`);
        }
        assert.equal(sample(page, 'claresia_rate_limited_requests_total{budget="tenant"}'), 0, "the process's own counts are still there");
      } finally {
        await cp.db.raw('ALTER TABLE audit_verified_away RENAME TO audit_verified');
      }
      assert.equal(sample(await cp.metrics(), 'claresia_database_up'), 1);
    });
  });

  describe(`/metrics: 429 answers counted by rate budget [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    // Budgets of 20 requests per 20 s and no burst limit to speak of: the refusals come from the
    // window, whatever second the requests fall in.
    const small = { sustainedPerSecond: 1, burstPerSecond: 1000, windowSeconds: 20 };
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { apiRateLimit: { tenant: small, anonymous: small }, scimRateLimit: small } });
    });
    after(async () => cp?.close());

    it('counts each refusal under its budget, the same number the clients saw', async () => {
      let page = await cp.metrics();
      for (const budget of ['tenant', 'operator', 'anonymous', 'connector', 'scim']) {
        assert.equal(sample(page, `claresia_rate_limited_requests_total{budget="${budget}"}`), 0, `${budget} there at 0 before the first refusal`);
      }
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t);
      const refusals = async (call: () => Promise<{ status: number }>) => {
        let n = 0;
        for (let i = 0; i < 25; i++) if ((await call()).status === 429) n++;
        return n;
      };
      const tenant = await refusals(() => cp.request('GET', '/api/v1/tenant', { token: t.token }));
      const anonymous = await refusals(() => cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'wrong' } }));
      const scimUsers = await refusals(() => scim(cp, dir)('GET', '/Users'));
      assert.ok(tenant > 0 && anonymous > 0 && scimUsers > 0, `refused ${tenant}, ${anonymous}, ${scimUsers}`);

      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_rate_limited_requests_total{budget="tenant"}'), tenant);
      assert.equal(sample(page, 'claresia_rate_limited_requests_total{budget="anonymous"}'), anonymous);
      assert.equal(sample(page, 'claresia_rate_limited_requests_total{budget="scim"}'), scimUsers);
      assert.equal(sample(page, 'claresia_rate_limited_requests_total{budget="operator"}'), 0);
    });
  });
}
