/**
 * The automatic test of an LLM connector (llm/auto-test.ts) when an attempt ends with nothing
 * to record: the handler throws (here: the database refuses to store the verdict, through a
 * trigger), or its worker stops and the queue gives the job to another once the lease is over.
 * Terraform and Pulumi end their wait on a `waiting: ` status_reason; with the reason left as it
 * was, they polled to their full timeout. And the give-up once the attempts are spent says what
 * to do without quoting the database's error (its query and values) to the tenant.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';

const GOOD_KEY = 'sk-ant-admin01-JOBFAIL-good-71c2e9d04a';
// Fast retries and a short lease, so that retries and a lost worker's retake happen within a test.
const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_JOBS_IDLE_POLL_MS: '200', CLARESIA_JOBS_LEASE_MS: '3000', CLARESIA_PUBLISH_RETRY_MS: '200', CLARESIA_PUBLISH_MAX_RETRY_MS: '400' };
const QUEUE = 'llm.connector_test';

// Refuses any verdict (a status other than untested) on a connector: the automatic test's
// handler then throws where it records one, after the platform answered.
const REFUSE_VERDICTS = [
  `CREATE FUNCTION h2_refuse_verdict() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'h2 test: verdicts refused'; END $$`,
  `CREATE TRIGGER h2_refuse_verdict BEFORE UPDATE ON llm_connectors FOR EACH ROW WHEN (OLD.status = 'untested' AND NEW.status <> 'untested') EXECUTE FUNCTION h2_refuse_verdict()`,
];
const ALLOW_VERDICTS = [`DROP TRIGGER h2_refuse_verdict ON llm_connectors`, `DROP FUNCTION h2_refuse_verdict()`];

for (const kind of dbKinds()) {
  describe(`LLM connector automatic test: attempts that end with nothing to record [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let restoreEnv: () => void;

    const connector = async (id: string) => (await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token })).body;
    const create = async (baseUrl: string) => {
      const res = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: GOOD_KEY, base_url: baseUrl } });
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string; status: string };
    };
    const sql = async (statements: string[]) => {
      for (const s of statements) await cp.db.raw(s);
    };

    before(async () => {
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential: GOOD_KEY, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      restoreEnv?.();
    });

    it('an attempt that throws leaves a waiting: reason while it is retried, and the next attempt that can record its verdict does', async () => {
      const restore = withEnv({ CLARESIA_PUBLISH_MAX_ATTEMPTS: '25' });
      await sql(REFUSE_VERDICTS);
      let id: string;
      try {
        id = (await create(platforms.baseUrl('claude'))).id;
        const c = await until('a reason while the test is retried', async () => {
          const now = await connector(id);
          return now.status_reason ? now : undefined;
        });
        assert.equal(c.status, 'untested');
        assert.match(c.status_reason, /^waiting: the automatic test's attempt \d+ of 25 could not run \(an error in the control plane, not an answer of the platform; its log has it, job \d+\); it is retried$/);
        assert.doesNotMatch(c.status_reason, /verdicts refused|llm_connectors/, 'the database error stays in the log');
      } finally {
        restore();
        await sql(ALLOW_VERDICTS);
      }
      await until('a later attempt recorded the verdict', async () => (await connector(id)).status === 'connected');
      assert.equal((await connector(id)).status_reason, null);
    });

    it('an attempt whose worker stopped leaves a waiting: reason once another worker takes the job again', async () => {
      // Takes the credential check and never answers, so the first attempt is still waiting on
      // the platform (up to the test's own 10 s request timeout) when its worker is taken away.
      const held = new Set<Socket>();
      const silent = createServer((socket) => void held.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
      try {
        const { id } = await create(`http://127.0.0.1:${(silent.address() as { port: number }).port}/claude`);
        await until('the first attempt calls the platform', () => held.size > 0);
        const [job] = await cp.db('jobs').where({ queue: QUEUE, key: id });
        assert.equal(job.status, 'running');
        assert.equal(job.attempts, 1);
        // What a worker that died leaves: the job running under a lease that ran out, held by a
        // worker that will not renew it. The live one's heartbeat and completion need it to be
        // theirs, so from here its attempt ends as a dead one's would, as far as the queue knows.
        await cp.db('jobs').where({ id: job.id }).update({ locked_by: 'h2-test:stopped-worker', locked_until: cp.db.raw(`now() - interval '1 second'`) });
        const reason = await until(
          'a waiting: reason naming the attempt that ended without a result',
          async () => {
            const r = (await connector(id)).status_reason as string | null;
            return r && /ended without a result/.test(r) ? r : undefined;
          },
          8000,
        );
        assert.match(reason, /^waiting: the automatic test's attempt 1 of \d+ ended without a result \(the control plane running it stopped or lost it\); attempt 2 is running; it is retried$/);
        assert.equal((await connector(id)).status, 'untested');
        assert.equal((await cp.db('jobs').where({ id: job.id }).first()).attempts, 2, 'the job was taken again');
        assert.equal((await cp.request('DELETE', `/api/v1/llm/connectors/${id}`, { token: t.token })).status, 204);
      } finally {
        for (const s of held) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('once its attempts are spent, the reason says how to test it, without the database error', async () => {
      const restore = withEnv({ CLARESIA_PUBLISH_MAX_ATTEMPTS: '2' });
      await sql(REFUSE_VERDICTS);
      try {
        const { id } = await create(platforms.baseUrl('claude'));
        await until('the test job is dead', async () => (await cp.count('jobs', { queue: QUEUE, key: id, status: 'dead' })) === 1);
        const c = await until('the give-up recorded', async () => {
          const now = await connector(id);
          return now.status_reason && !now.status_reason.startsWith('waiting: ') ? now : undefined;
        });
        assert.equal(c.status, 'untested');
        assert.equal(
          c.status_reason,
          `the automatic test could not run: its 2 attempts ended without a result (the control plane's log has why, job ${(await cp.db('jobs').where({ queue: QUEUE, key: id }).first()).id}); test it with POST /api/v1/llm/connectors/${id}:test, or send its credential again`,
        );
      } finally {
        restore();
        await sql(ALLOW_VERDICTS);
      }
    });
  });
}
