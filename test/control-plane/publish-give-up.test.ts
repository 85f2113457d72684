import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isPublishCall, startPlatformServer, type Account, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory } from './scim/helpers.js';
import { provision } from './rbac-support.js';
import { jobSettings } from '../../control-plane/src/jobs/settings.js';

const publishGiveUpMs = (env: NodeJS.ProcessEnv) => jobSettings(env).publishGiveUpMs;

// Three quick attempts, then the slow schedule: 300 ms stands for the 30 min of production. The
// give-up period keeps its default (72 h): the tests move the connector's failing-since back in
// time instead of waiting, which is the one clock the give-up reads.
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
const HOUR = 3_600_000;

describe('publish: the give-up setting', () => {
  it('is 72 h by default, takes hours (fractions too), 0 for never, and is never shorter than one slow period', () => {
    assert.equal(publishGiveUpMs({}), 72 * HOUR);
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '24' }), 24 * HOUR);
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '1.5' }), 1.5 * HOUR);
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '0' }), Infinity);
    for (const [env, message] of [
      [{ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '72h' }, /CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS must be a number of hours, 0 to never give up, got "72h"/],
      [{ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '-1' }, /CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS must be a number of hours/],
      [{ CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '1e3' }, /CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS must be a number of hours/],
      [
        { CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '0.25' },
        /CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS \(0.25 h\) must be at least CLARESIA_PUBLISH_RECOVERY_MS \(1800000 ms, 30 min\): set CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS to at least 1, or 0 to never give up/,
      ],
    ] as const) {
      assert.throws(() => publishGiveUpMs(env), message, JSON.stringify(env));
    }
  });

  it('holds its default to the same rule: a slow period longer than 72 h stops the start, saying which variable to set', () => {
    const days4 = String(96 * HOUR);
    assert.throws(
      () => publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_MS: days4 }),
      new RegExp(
        `^Error: CLARESIA_PUBLISH_RECOVERY_MS \\(${days4} ms, 96 h\\) is longer than CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS's default of 72 h, which would end every slow retry at its first attempt: ` +
          'set CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS to at least 96, or 0 to never give up, or lower CLARESIA_PUBLISH_RECOVERY_MS$',
      ),
    );
    assert.throws(() => publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_MS: days4, CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '' }), /is longer than CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS's default/);
    // What the message says to set is accepted, as is a slow period of exactly the default.
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_MS: days4, CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '96' }), 96 * HOUR);
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_MS: days4, CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS: '0' }), Infinity);
    assert.equal(publishGiveUpMs({ CLARESIA_PUBLISH_RECOVERY_MS: String(72 * HOUR) }), 72 * HOUR);
  });
});

for (const kind of dbKinds()) {
  describe(`publish: a connector failing for longer than the give-up period is given up [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let double: PlatformServer;
    let account: Account;
    let t: TenantFixture;
    let connector: string;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const requests = async (status: string) => (await api('GET', `/api/v1/skill-entitlement/distribution/requests?status=${status}`)).body.items as any[];
    const request = async (id: string) => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${id}`)).body;
    const distribution = async () => (await api('GET', '/api/v1/observability/tenant-health')).body.checks.find((c: any) => c.name === 'distribution');
    const connectorRow = async () => (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
    const failingSince = async () => (await cp.db('llm_connectors').where({ id: connector }).first('publish_failing_since')).publish_failing_since as Date | null;
    const publishCalls = () => double.calls.filter(isPublishCall).length;
    const skillsOf = (email: string) => double.grants('claude').filter((g) => g.email === email).map((g) => g.skill);
    const publishJobs = async () =>
      (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'queued' })) + (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'running' }));
    const idle = async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0 && (await publishJobs()) === 0;
    const events = async (type: string) =>
      ((await cp.db('governance_events').where({ tenant_id: t.id, type }).orderBy('seq').select('data')) as Array<{ data: unknown }>).map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) : r.data)) as any[];
    const ownPendingRetry = async () => (await requests('pending')).find((r) => r.requested_by === DISTRIBUTION && r.last_error) ?? null;
    /** Time passing for the give-up: the connector's run of failures began `hours` earlier. */
    const hoursPass = (hours: number) =>
      cp.db('llm_connectors').where({ id: connector }).whereNotNull('publish_failing_since').update({ publish_failing_since: cp.db.raw(`publish_failing_since - (? * interval '1 hour')`, [hours]) });

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(SLOW);
      double = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      account = { credential: `claude-key-${Math.random().toString(36).slice(2)}`, scopes: ['skills'] };
      double.addAccount('claude', account);
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: account.credential, base_url: double.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      connector = c.body.id;
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      const okta = await makeDirectory(cp, t, 'okta');
      await provision(cp, okta, [{ email: 'ada@acme.example', title: 'Software Engineer' }], { 'claresia-users': ['ada@acme.example'] });
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/roster/scim:sync')).status, 200);
      await until('ada published', () => skillsOf('ada@acme.example').length === ENG.length);
      await until('idle', idle);
    });
    after(async () => {
      await cp?.close();
      await double?.close();
      restoreEnv();
    });

    it('a publish that fails once and then succeeds leaves no failing run behind: a failure days later starts its own', async () => {
      double.failPublishes('claude', 1);
      const first = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'one 503' });
      assert.equal(first.status, 202, first.text);
      await until('completed after one failed attempt', async () => (await request(first.body.id)).status === 'completed');
      assert.equal(await failingSince(), null, 'the success ended the run of failures');
      await hoursPass(73);

      double.failPublishes('claude', 1);
      const second = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'another 503, days later' });
      await until('the second publish ended', async () => (await request(second.body.id)).status !== 'pending');
      assert.equal((await request(second.body.id)).status, 'completed');
      assert.equal((await connectorRow()).status, 'connected');
      assert.deepEqual(await events('connector.status_changed'), []);
      await until('idle', idle);
    });

    it('a new credential starts the give-up period afresh, even in the middle of an outage', async () => {
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage' });
      await until('the publish ran out of attempts', async () => (await request(r.body.id)).status === 'failed');
      await until('the slow retry has a request of its own, pending', ownPendingRetry);
      assert.ok(await failingSince(), 'the run of failures is dated');
      await hoursPass(71);

      // The platform's own fix came with a new key; the outage of its publish endpoint goes on.
      const replacement: Account = { credential: `claude-key-${Math.random().toString(36).slice(2)}`, scopes: ['skills'] };
      double.addAccount('claude', replacement);
      const patched = await api('PATCH', `/api/v1/llm/connectors/${connector}`, { credential: replacement.credential });
      assert.equal(patched.status, 200, patched.text);
      await until('the new credential passed its test', async () => (await connectorRow()).status === 'connected');
      await hoursPass(2);
      // 73 h since the outage began, 2 h at most since the new credential: two more attempts fail
      // and the connector is still tried.
      const calls = publishCalls();
      await until('two more publish attempts reached the platform', () => publishCalls() >= calls + 2);
      await until('the latest failure was recorded', async () => !!(await failingSince()));
      assert.equal((await connectorRow()).status, 'connected');
      assert.ok(Date.now() - (await failingSince())!.getTime() < 3 * HOUR, `failing since ${(await failingSince())!.toISOString()}`);
      assert.deepEqual(await events('connector.status_changed'), []);

      double.failPublishes('claude', 0);
      await until('published once the platform is back', async () => (await distribution()).status === 'green');
      await until('idle', idle);
      assert.equal(await failingSince(), null);
    });

    // After the others: it leaves the connector failed, then tested again.
    it('a slow retry that has not succeeded for 72 h stops: the connector is failed saying why and what to do, and a passing test publishes again', async () => {
      double.failPublishes('claude', Infinity);
      const put = await api('PUT', '/api/v1/skill-entitlement/archetypes/eng', { skills: NEW_ENG });
      assert.equal(put.status, 200, put.text);
      await until('the publish ran out of attempts', async () => (await requests('failed')).length > 0);
      const retry = await until('the slow retry has a request of its own, pending', ownPendingRetry);
      const failedBefore = (await events('distribution.failed')).length;
      await hoursPass(73);

      await until('the connector was given up', async () => (await connectorRow()).status === 'failed');
      await until('the slow retry stopped: no request pending, no publish queued', idle);
      const c = await connectorRow();
      assert.match(
        c.status_reason,
        new RegExp(
          `^publishing stopped: no publish succeeded for 72 h \\(failing since \\S+; last answer: .*503.*\\); fix its base_url or the platform; ` +
            `to test it again \\(a pass publishes the current grants to it\\), send its credential again, changed or not \\(Terraform: a new credential_wo_version\\), or POST /api/v1/llm/connectors/${connector}:test$`,
        ),
      );
      assert.equal(c.status_reason.split(':test').length - 1, 1, `the test advice once: ${c.status_reason}`);
      const ended = await request(retry.id);
      assert.equal(ended.status, 'failed', JSON.stringify(ended));
      assert.match(ended.last_error, new RegExp(`^claude ${connector}: .*503.*; no publish succeeded for 72 h \\(since \\S+\\), so it is no longer retried`));
      const failed = await events('distribution.failed');
      assert.equal(failed.length, failedBefore + 1, 'one distribution.failed for the give-up');
      assert.deepEqual(failed.at(-1).given_up, [connector]);
      assert.ok(failed.at(-1).requests.includes(retry.id));
      const changed = await events('connector.status_changed');
      assert.equal(changed.length, 1);
      assert.equal(changed[0].status, 'failed');
      assert.match(changed[0].reason, /^publishing stopped: no publish succeeded for 72 h/);
      const health = await distribution();
      assert.equal(health.status, 'red');
      assert.match(health.reason, new RegExp(`${connector} is failed \\(publishing stopped: no publish succeeded for 72 h`));
      assert.match(health.action, new RegExp(`POST /api/v1/llm/connectors/${connector}:test`));
      assert.deepEqual(skillsOf('ada@acme.example'), ENG, 'the change never reached the platform');

      // A reason stored by an earlier version ends with its own test path: the API adds no second.
      const stored = await cp.db('llm_connectors').where({ id: connector }).first('status_reason');
      const older = `${stored.status_reason}, then test it: POST /api/v1/llm/connectors/${connector}:test, which publishes again`;
      await cp.db('llm_connectors').where({ id: connector }).update({ status_reason: older });
      assert.equal((await connectorRow()).status_reason, older);

      // What the operator does: the platform is fixed, the connector tested; that publishes again.
      double.failPublishes('claude', 0);
      const tested = await api('POST', `/api/v1/llm/connectors/${connector}:test`);
      assert.equal(tested.body.status, 'connected', tested.text);
      await until('republished after the test', async () => (await distribution()).status === 'green');
      assert.deepEqual(skillsOf('ada@acme.example'), NEW_ENG);
      assert.equal(await failingSince(), null);
      await until('idle', idle);
    });

    it('a publish for a tenant with no connector completes saying that nothing was delivered; once one is connected, its publish says nothing of the kind', async () => {
      const other = await cp.createTenant();
      const call = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: other.token, ...(body === undefined ? {} : { body }) });
      const r = await call('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'before any connector' });
      assert.equal(r.status, 202, r.text);
      const done = await until('completed', async () => {
        const x = (await call('GET', `/api/v1/skill-entitlement/distribution/requests/${r.body.id}`)).body;
        return x.status === 'completed' && x;
      });
      assert.equal(done.detail, 'nothing was delivered: the tenant has no LLM connector; add one (POST /api/v1/llm/connectors) and it gets the current grants once its test passes');
      assert.equal(done.last_error, null);
      const listed = (await call('GET', '/api/v1/skill-entitlement/distribution/requests?status=completed')).body.items.find((x: any) => x.id === r.body.id);
      assert.equal(listed.detail, done.detail);

      const key = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential: key, scopes: ['skills'] });
      const c = await call('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: key, base_url: double.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      assert.equal((await call('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).body.status, 'connected');
      const published = await until('the publish after the test completed', async () => {
        const items = (await call('GET', '/api/v1/skill-entitlement/distribution/requests?status=completed')).body.items as any[];
        return items.find((x) => x.id !== r.body.id);
      });
      assert.equal(published.detail, null);
    });
  });
}
