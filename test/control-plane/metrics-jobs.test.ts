import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

/** The value of one series in a Prometheus text page, or undefined when it is not there. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const kind of dbKinds()) {
  describe(`/metrics: the job queue and the database pool, read when scraped [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('reports due, oldest due, running, retrying and dead jobs per queue, the database as up, and the pool', async () => {
      // A queue no runner of this process works: its jobs stay as written while the test scrapes.
      const queue = 'metrics-probe';
      const row = (over: Record<string, unknown>) => ({ queue, payload: {}, status: 'queued', attempts: 0, max_attempts: 5, run_after: cp.db.raw(`now()`), created_at: cp.db.raw('now()'), ...over });
      await cp.db('jobs').insert([
        row({ run_after: cp.db.raw(`now() - interval '90 seconds'`) }),
        row({ run_after: cp.db.raw(`now() - interval '10 seconds'`) }),
        // A dead worker's job: its lease ran out 30 s ago, so it is due again.
        row({ status: 'running', attempts: 1, locked_by: 'gone', locked_until: cp.db.raw(`now() - interval '30 seconds'`) }),
        row({ status: 'running', attempts: 1, locked_by: 'busy', locked_until: cp.db.raw(`now() + interval '1 minute'`) }),
        row({ attempts: 2, run_after: cp.db.raw(`now() + interval '1 hour'`), last_error: 'platform answered 502' }),
        row({ status: 'dead', attempts: 5, last_error: 'gave up' }),
        row({ status: 'dead', attempts: 5, last_error: 'gave up' }),
      ]);
      const page = await cp.metrics();
      const q = `{queue="${queue}"}`;
      assert.equal(sample(page, 'claresia_database_up'), 1);
      assert.equal(sample(page, `claresia_jobs_ready${q}`), 3);
      const oldest = sample(page, `claresia_jobs_oldest_ready_age_seconds${q}`)!;
      assert.ok(oldest >= 90 && oldest < 600, `oldest due job ${oldest} s`);
      assert.equal(sample(page, `claresia_jobs_running${q}`), 1);
      assert.equal(sample(page, `claresia_jobs_retrying${q}`), 1);
      assert.equal(sample(page, `claresia_jobs_dead${q}`), 2);
      // The queues this release runs are there at 0 too, so an alert has a series before the first job.
      assert.equal(sample(page, 'claresia_jobs_ready{queue="webhook.deliver"}'), 0);
      for (const name of ['claresia_db_pool_used', 'claresia_db_pool_free', 'claresia_db_pool_waiting', 'claresia_db_pool_opening']) {
        assert.ok(Number.isInteger(sample(page, name)), `${name} in ${page.slice(0, 200)}`);
      }
      assert.equal(sample(page, 'claresia_db_pool_waiting'), 0);
    });
  });
}
