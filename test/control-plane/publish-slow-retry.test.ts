import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isPublishCall, startPlatformServer, type Account, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory, type Directory } from './scim/helpers.js';
import { provision } from './rbac-support.js';
import { jobSettings } from '../../control-plane/src/jobs/settings.js';
import { RetryLater } from '../../control-plane/src/jobs/registry.js';
import type { Job } from '../../control-plane/src/jobs/queue.js';
import { publishJob } from '../../control-plane/src/distribution/publisher.js';

// Three quick attempts, then the slow schedule: 300 ms stands for the 30 min of production.
const SLOW = {
  CLARESIA_JOBS_POLL_MS: '50',
  CLARESIA_PUBLISH_RETRY_MS: '20',
  CLARESIA_PUBLISH_MAX_RETRY_MS: '100',
  CLARESIA_PUBLISH_MAX_ATTEMPTS: '3',
  CLARESIA_PUBLISH_RECOVERY_MS: '300',
};
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];
const NEW_ENG = ['claresia.core.translation'];
const DISTRIBUTION = 'claresia:distribution';

describe('publish: the slow retry setting', () => {
  it('is 30 min by default, a whole number of ms, and never faster than the backoff it follows', () => {
    assert.equal(jobSettings({}).publishRecoveryMs, 1_800_000);
    assert.equal(jobSettings({ CLARESIA_PUBLISH_RECOVERY_MS: '900000' }).publishRecoveryMs, 900_000);
    assert.equal(jobSettings({ CLARESIA_PUBLISH_MAX_RETRY_MS: '3600000' }).publishRecoveryMs, 3_600_000, 'unset, it follows a backoff cap raised past it');
    for (const [env, message] of [
      [{ CLARESIA_PUBLISH_RECOVERY_MS: '0' }, /CLARESIA_PUBLISH_RECOVERY_MS must be a positive integer, got "0"/],
      [{ CLARESIA_PUBLISH_RECOVERY_MS: '30m' }, /CLARESIA_PUBLISH_RECOVERY_MS must be a positive integer, got "30m"/],
      [{ CLARESIA_PUBLISH_RECOVERY_MS: '1e6' }, /CLARESIA_PUBLISH_RECOVERY_MS/],
      [{ CLARESIA_PUBLISH_RECOVERY_MS: '60000' }, /CLARESIA_PUBLISH_RECOVERY_MS \(60000\) must be at least CLARESIA_PUBLISH_MAX_RETRY_MS \(300000\)/],
      [{ CLARESIA_PUBLISH_RECOVERY_MS: '600000', CLARESIA_PUBLISH_MAX_RETRY_MS: '3600000' }, /must be at least CLARESIA_PUBLISH_MAX_RETRY_MS \(3600000\)/],
    ] as const) {
      assert.throws(() => jobSettings(env), message, JSON.stringify(env));
    }
  });
});

for (const kind of dbKinds()) {
  describe(`publish: a publish out of attempts is retried on a slow schedule [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    // A second replica on the same database: both run the job queue, as in production.
    let second: RunningServer;
    let secondDb: Db | undefined;
    let double: PlatformServer;
    let account: Account;
    let t: TenantFixture;
    let okta: Directory;
    let connector: string;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const requests = async (status: string) => (await api('GET', `/api/v1/skill-entitlement/distribution/requests?status=${status}`)).body.items as any[];
    const distribution = async () => (await api('GET', '/api/v1/observability/tenant-health')).body.checks.find((c: any) => c.name === 'distribution');
    const connectorRow = async () => (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
    const publishCalls = () => double.calls.filter(isPublishCall).length;
    const skillsOf = (email: string) => double.grants('claude').filter((g) => g.email === email).map((g) => g.skill);
    const publishJobs = async () =>
      (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'queued' })) + (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'running' }));
    const idle = async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0 && (await publishJobs()) === 0;
    const failedEvents = async () =>
      ((await cp.db('governance_events').where({ tenant_id: t.id, type: 'distribution.failed' }).orderBy('seq').select('data')) as Array<{ data: unknown }>).map((r) =>
        typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
      );

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(SLOW);
      double = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      secondDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      second = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
      t = await cp.createTenant();
      account = { credential: `claude-key-${Math.random().toString(36).slice(2)}`, scopes: ['skills'] };
      double.addAccount('claude', account);
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: account.credential, base_url: double.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      connector = c.body.id;
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      okta = await makeDirectory(cp, t, 'okta');
      await provision(cp, okta, [{ email: 'ada@acme.example', title: 'Software Engineer' }], { 'claresia-users': ['ada@acme.example'] });
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/roster/scim:sync')).status, 200);
      await until('ada published', () => skillsOf('ada@acme.example').length === ENG.length);
      await until('idle', idle);
    });
    after(async () => {
      await second?.close();
      await secondDb?.destroy();
      await cp?.close();
      await double?.close();
      restoreEnv();
    });

    it('a platform down for longer than the backoff gets the change once it is back, with nobody acting; health stays red until then', async () => {
      double.failPublishes('claude', Infinity);
      const put = await api('PUT', '/api/v1/skill-entitlement/archetypes/eng', { skills: NEW_ENG });
      assert.equal(put.status, 200, put.text);
      const [given] = await until('the publish ran out of attempts', async () => {
        const failed = await requests('failed');
        return failed.length ? failed : null;
      });
      const afterGiveUp = publishCalls();
      const red = await distribution();
      assert.equal(red.status, 'red');
      assert.match(red.reason, new RegExp(`request ${given.id} .*failed`));
      assert.match((await connectorRow()).last_publish_error, /503/);

      // Nobody acts: the slow retry keeps trying while the platform is still down.
      await until('two slow retries reached the platform', () => publishCalls() >= afterGiveUp + 2);
      const [gaveUp] = await failedEvents();
      assert.equal(gaveUp.retry_every_ms, 300, 'distribution.failed says the publish is retried, and how often');
      const [retry] = await until('the slow retry has a request of its own, showing the latest answer', async () => {
        const open = (await requests('pending')).filter((r) => r.requested_by === DISTRIBUTION && r.last_error);
        return open.length ? open : null;
      });
      assert.match(retry.last_error, /claude .*503/);
      assert.match(retry.reason, /ran out of attempts/);
      assert.deepEqual((await requests('failed')).map((r) => r.id), [given.id], 'a failed slow attempt is not another failed request');
      assert.equal((await failedEvents()).length, 1);
      const stillRed = await distribution();
      assert.equal(stillRed.status, 'red');
      assert.match(stillRed.reason, new RegExp(`request ${given.id} `));
      assert.match((await connectorRow()).last_publish_error, /503/);
      assert.deepEqual(skillsOf('ada@acme.example'), ENG);

      const applied = double.applied.length;
      double.failPublishes('claude', 0);
      await until('the slow retry completed its request', async () => (await requests('completed')).some((r) => r.id === retry.id));
      assert.deepEqual(skillsOf('ada@acme.example'), NEW_ENG);
      const green = await distribution();
      assert.equal(green.status, 'green', green.reason);
      assert.equal((await connectorRow()).last_publish_error, null);
      await until('no publish left queued', idle);
      // Two replicas ran the queue: the recovered platform got the set once.
      assert.equal(double.applied.length, applied + 1);
      assert.equal((await failedEvents()).length, 1);
    });

    it('a credential refused during the slow retry stops it: the connector waits for a new credential or :test, as after any refusal', async () => {
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage' });
      assert.equal(r.status, 202, r.text);
      await until('the publish ran out of attempts', async () => (await requests('failed')).some((x) => x.id === r.body.id));
      const before = (await failedEvents()).length;

      const key = account.credential;
      account.credential = 'revoked on the platform';
      double.failPublishes('claude', 0);
      await until('the next slow attempt was refused', async () => (await connectorRow()).status === 'failed');
      assert.equal((await failedEvents())[before - 1].retry_every_ms, 300);
      await until('the slow retry stopped', idle);
      const c = await connectorRow();
      assert.match(c.status_reason, /publish refused/);
      const refused = (await requests('failed')).find((x) => x.requested_by === DISTRIBUTION);
      assert.ok(refused, 'the slow retry request failed with the refusal');
      assert.match(refused.last_error, /401/);
      const events = await failedEvents();
      assert.equal(events.length, before + 1);
      const health = await distribution();
      assert.equal(health.status, 'red');
      assert.match(health.reason, new RegExp(`${connector} is failed`));

      // What a person does: the credential works again and :test passes, which republishes.
      account.credential = key;
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      await until('republished after the test', async () => (await distribution()).status === 'green');
      await until('idle', idle);
    });

    it('a slow retry failing for a reason of its own (a credential that cannot be opened) stays on the slow schedule, and writes nothing', async () => {
      const other = await cp.createTenant();
      const key = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential: key, scopes: ['skills'] });
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: other.token, body: { platform: 'claude', name: 'Claude', credential: key, base_url: double.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: other.token })).body.status, 'connected');
      const quiet = async () =>
        (await cp.count('distribution_requests', { tenant_id: other.id, status: 'pending' })) === 0 &&
        (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: other.id, status: 'queued' })) + (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: other.id, status: 'running' })) === 0;
      await until('the other tenant is idle', quiet);
      await cp.db('llm_connectors').where({ id: c.body.id }).update({ credential_enc: null });
      const s = jobSettings();
      const job = (payload: Job['payload']): Job => ({ id: -1, queue: 'distribution.publish', key: other.id, tenant_id: other.id, payload, status: 'running', attempts: 3, max_attempts: 3, run_after: new Date(), locked_by: 'test', locked_until: null, last_error: null, created_at: new Date() });
      await assert.rejects(publishJob.handle(cp.server.ctx, job({ tenant_id: other.id, publish_id: 'pub_slowtest', recovery: { after: null } }), s), (err: unknown) => {
        assert.ok(err instanceof RetryLater, String(err));
        assert.match(err.message, /has no credential/);
        assert.ok(err.delayMs >= s.publishRecoveryMs, `waits the recovery period, not the backoff (${err.delayMs} ms)`);
        return true;
      });
      // A publish that is not a slow retry keeps its backoff and its attempt limit.
      await assert.rejects(publishJob.handle(cp.server.ctx, job({ tenant_id: other.id, publish_id: 'pub_fasttest' }), s), (err: unknown) => !(err instanceof RetryLater) && /has no credential/.test(String(err)));
      assert.equal(await cp.count('distribution_requests', { tenant_id: other.id, status: 'pending' }), 0, 'the request it opened rolled back with the snapshot');
    });

    it('a publish given up with no slow retry queued (by an older version) gets one when a replica starts', async () => {
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage before the upgrade' });
      assert.equal(r.status, 202, r.text);
      await until('the publish ran out of attempts', async () => (await requests('failed')).some((x) => x.id === r.body.id));
      // What an older version left: the dead job and the failed request, nothing queued.
      await until('no publish job left', async () => {
        await cp.db('jobs').where({ queue: 'distribution.publish', tenant_id: t.id, status: 'queued' }).delete();
        return (await publishJobs()) === 0;
      });
      double.failPublishes('claude', 0);
      const thirdDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const third = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: thirdDb ?? cp.db, migrate: false });
      try {
        await until('the slow retry queued at start published', async () => (await distribution()).status === 'green');
        const done = (await requests('completed')).find((x) => x.requested_by === DISTRIBUTION && /ran out of attempts/.test(x.reason));
        assert.ok(done, 'the slow retry completed a request of its own');
        await until('idle', idle);
      } finally {
        await third.close();
        await thirdDb?.destroy();
      }
    });

    const publishJobRows = async (tenantId: string) =>
      ((await cp.db('jobs').where({ queue: 'distribution.publish', tenant_id: tenantId }).whereIn('status', ['queued', 'running']).orderBy('id').select('id', 'attempts', 'payload')) as Array<{ id: number; attempts: number; payload: any }>).map((j) => ({
        id: Number(j.id),
        attempts: j.attempts,
        recovery: !!(typeof j.payload === 'string' ? JSON.parse(j.payload) : j.payload).recovery,
      }));
    const ownPendingRetry = async () => {
      const open = (await requests('pending')).filter((r) => r.requested_by === DISTRIBUTION && r.last_error);
      return open.length ? open[0] : null;
    };

    it('a replica starting while a slow retry waits leaves it alone: no fast backoff against the down platform, no failed request or event more', async () => {
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage during a rolling deploy' });
      assert.equal(r.status, 202, r.text);
      await until('the publish ran out of attempts', async () => (await requests('failed')).some((x) => x.id === r.body.id));
      // Its own request stays pending between attempts: what the start's requeue looks for.
      const retry = await until('the slow retry has a request of its own, pending', ownPendingRetry);
      const [slow, ...others] = await publishJobRows(t.id);
      assert.ok(slow?.recovery && others.length === 0, JSON.stringify([slow, ...others]));
      const failedRequests = (await requests('failed')).length;
      const failedSoFar = (await failedEvents()).length;

      const thirdDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const third = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: thirdDb ?? cp.db, migrate: false });
      try {
        // The start is over once startServer returned: whatever it queued is in the table.
        const jobs = await publishJobRows(t.id);
        assert.deepEqual(jobs.map((j) => [j.id, j.recovery]), [[slow.id, true]], 'the slow retry is still the only publish of the tenant');
        await until('the slow retry tried again after the start', async () => ((await publishJobRows(t.id)).find((j) => j.id === slow.id)?.attempts ?? 0) > jobs[0]!.attempts);
        assert.equal((await requests('failed')).length, failedRequests, 'no failed request more');
        assert.equal((await failedEvents()).length, failedSoFar, 'no distribution.failed more');
        assert.ok((await requests('pending')).some((x) => x.id === retry.id), 'the slow retry request is still pending');
      } finally {
        await third.close();
        await thirdDb?.destroy();
      }
      double.failPublishes('claude', 0);
      await until('the slow retry completed its request', async () => (await requests('completed')).some((x) => x.id === retry.id));
      const done = (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${retry.id}`)).body;
      assert.equal(done.last_error, null, 'a completed request no longer shows the error of an attempt before');
      assert.equal(done.last_error_at, null);
      await until('idle', idle);
    });

    it('a publish out of attempts while another publish of the tenant runs queues no slow retry: that one covers it', async () => {
      const other = await cp.createTenant();
      const key = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential: key, scopes: ['skills'] });
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: other.token, body: { platform: 'claude', name: 'Claude', credential: key, base_url: double.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: other.token })).body.status, 'connected');
      // Its automatic test too: one still running when :test connected it passes later and queues a
      // publish of its own, which would run beside the ones this test sets up.
      await until('the other tenant is idle', async () => (await cp.count('jobs', { tenant_id: other.id })) === 0);
      // What another replica holds when it claimed the tenant's next publish right after this one
      // went dead: running, under a live lease, so no runner here takes it.
      const [{ id: claimed }] = (await cp
        .db('jobs')
        .insert({ queue: 'distribution.publish', key: other.id, tenant_id: other.id, payload: JSON.stringify({ tenant_id: other.id }), status: 'running', attempts: 1, max_attempts: 3, run_after: cp.db.fn.now(), locked_by: 'another-replica', locked_until: cp.db.raw(`now() + interval '1 hour'`), created_at: cp.db.fn.now() })
        .returning('id')) as Array<{ id: number }>;
      const dead = (publishId: string): Job => ({ id: -1, queue: 'distribution.publish', key: other.id, tenant_id: other.id, payload: { tenant_id: other.id, publish_id: publishId }, status: 'dead', attempts: 3, max_attempts: 3, run_after: new Date(), locked_by: null, locked_until: null, last_error: null, created_at: new Date() });
      const s = jobSettings();
      const gaveUp = async () => (await cp.db('governance_events').where({ tenant_id: other.id, type: 'distribution.failed' }).orderBy('seq', 'desc').first('data')).data;
      try {
        await publishJob.onDead!(cp.server.ctx, dead('pub_covered'), 'claude: the claude API answered HTTP 503 (overloaded_error)', s);
        assert.deepEqual(await publishJobRows(other.id), [{ id: Number(claimed), attempts: 1, recovery: false }], 'no slow retry beside the running publish');
        const event = await gaveUp();
        assert.equal((typeof event === 'string' ? JSON.parse(event) : event).retry_every_ms, null);
      } finally {
        await cp.db('jobs').where({ id: claimed }).delete();
      }
      // With nothing running, the same give-up does queue one (it publishes, the platform is up).
      await publishJob.onDead!(cp.server.ctx, dead('pub_alone'), 'claude: the claude API answered HTTP 503 (overloaded_error)', s);
      const event = await gaveUp();
      assert.equal((typeof event === 'string' ? JSON.parse(event) : event).retry_every_ms, s.publishRecoveryMs);
      await until('the slow retry ran and nothing is left', async () => (await publishJobRows(other.id)).length === 0 && (await cp.count('distribution_requests', { tenant_id: other.id, status: 'pending' })) === 0);
      const own = await cp.db('distribution_requests').where({ tenant_id: other.id, requested_by: DISTRIBUTION }).first('status');
      assert.equal(own?.status, 'completed');
    });

    // Last: it deletes the tenant's connector.
    it('a slow retry whose connectors were all deleted ends its request as failed, saying why, rather than completed with nothing published', async () => {
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage, then the connector goes' });
      assert.equal(r.status, 202, r.text);
      await until('the publish ran out of attempts', async () => (await requests('failed')).some((x) => x.id === r.body.id));
      const retry = await until('the slow retry has a request of its own, pending', ownPendingRetry);
      assert.match(retry.last_error, /503/);
      const before = (await failedEvents()).length;
      // The platform stays down: a slow attempt on the wire during the delete fails as before.
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${connector}`)).status, 204);
      await until('the slow retry stopped', idle);
      const ended = (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${retry.id}`)).body;
      assert.equal(ended.status, 'failed', JSON.stringify(ended));
      assert.match(ended.last_error, /^nothing was published: no LLM connector is left/);
      const events = await failedEvents();
      assert.equal(events.length, before + 1);
      assert.ok(events.at(-1).requests.includes(retry.id), JSON.stringify(events.at(-1)));
      assert.equal(events.at(-1).error, ended.last_error);
      const health = await distribution();
      assert.equal(health.status, 'red');
      assert.match(health.reason, /no LLM platform is connected/);
    });
  });
}
