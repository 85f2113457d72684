import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import { pino } from 'pino';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { until } from '../support/until.js';

/** The value of one series in a Prometheus text page, or undefined when it is not there. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function captureLogs() {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const POOL = 3;
/** More scrapes, one after another as Prometheus sends them, than the pool has connections. */
const SCRAPES = POOL + 2;

for (const kind of dbKinds()) {
  describe(`/metrics while the database is slow: scrapes do not take the pool [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let logs: ReturnType<typeof captureLogs>;
    let holder: Knex | undefined;
    before(async () => {
      logs = captureLogs();
      cp = await startControlPlane({ db: kind, poolMax: POOL, logger: logs.logger });
    });
    after(async () => {
      await holder?.destroy();
      await cp?.close();
    });

    const outageLines = () => logs.lines.filter((l) => /metrics: cannot read the database figures/.test(l.msg));
    const recoveryLines = () => logs.lines.filter((l) => /metrics: the database figures can be read again/.test(l.msg));

    it('a table the figures read is locked: each scrape answers database_up 0, at most one figures query holds a connection, the API keeps the rest, the cause is logged once', async function () {
      // PGlite has a single connection, so a lock held elsewhere cannot exist there: holding its
      // connection stalls every query, whatever the scrape does. The server is what pools run on.
      if (kind !== 'pg') this.skip();
      assert.equal(sample(await cp.metrics(), 'claresia_database_up'), 1);

      // What a migration's ALTER TABLE or a VACUUM FULL does, from a connection of its own.
      holder = knexFactory({ client: 'pg', connection: cp.databaseUrl, pool: { min: 0, max: 2 } });
      const trx = await holder.transaction();
      await trx.raw('LOCK TABLE audit_verified IN ACCESS EXCLUSIVE MODE');
      const running = async () =>
        (await holder!.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%json_agg%' AND pid <> pg_backend_pid()`)).rows[0].n as number;
      try {
        for (let i = 0; i < SCRAPES; i++) {
          const page = await cp.metrics();
          assert.equal(sample(page, 'claresia_database_up'), 0, `scrape ${i + 1}`);
          assert.equal(sample(page, 'claresia_webhook_deliveries_failed'), undefined, 'db figures left out');
          // The pool's figures are read in the same scrape as the figures query, which is running then.
          const used = sample(page, 'claresia_db_pool_used')!;
          assert.ok(used < POOL, `scrape ${i + 1}: ${used} of ${POOL} connections in use`);
          assert.equal(sample(page, 'claresia_db_pool_waiting'), 0, `scrape ${i + 1}`);
          // The server cancelled it when its statement_timeout ran out, before the scrape answered.
          assert.equal(await running(), 0, `scrape ${i + 1}: figures queries still running on the server`);
        }
        // An API request that does not touch the locked table gets a connection and answers.
        const tenants = await cp.request('GET', '/api/v1/tenants', { token: cp.operatorToken });
        assert.equal(tenants.status, 200, tenants.text);
      } finally {
        await trx.rollback();
      }

      const down = outageLines();
      assert.equal(down.length, 1, `one line per outage, not per scrape: ${JSON.stringify(down)}`);
      assert.equal(down[0]!.level, 40, 'warn');
      assert.equal(down[0]!.err.code, '57014', 'the cause: the server cancelled the statement');
      assert.match(down[0]!.err.message, /statement timeout/);
      assert.ok(!/SELECT|json_agg/i.test(down[0]!.err.message), 'the cause, not the statement');

      await until('the figures are read again', async () => sample(await cp.metrics(), 'claresia_database_up') === 1);
      assert.equal(recoveryLines().length, 1);
      // SET LOCAL ended with its transaction: the pooled connections answer without a limit.
      const settings = await Promise.all(Array.from({ length: POOL }, () => cp.db.raw('SHOW statement_timeout')));
      for (const s of settings) assert.equal(s.rows[0].statement_timeout, '0');
    });

    it('a read still waiting for a connection: later scrapes answer without figures instead of queueing more reads behind it', async () => {
      // Every connection of the server's own pool (PGlite's only one) held in a transaction, so
      // the figures query waits for one, however long the server would let it run.
      const busy = await Promise.all(Array.from({ length: kind === 'pg' ? POOL : 1 }, () => cp.db.transaction()));
      // Counted when knex sends them, i.e. once they got a connection.
      let figureQueries = 0;
      const count = (q: { sql?: string }) => void (q.sql?.includes('json_agg') && figureQueries++);
      cp.db.on('query', count);
      try {
        for (let i = 0; i < SCRAPES; i++) assert.equal(sample(await cp.metrics(), 'claresia_database_up'), 0, `scrape ${i + 1}`);
      } finally {
        await Promise.all(busy.map((t) => t.rollback()));
      }
      await until('the figures are read again', async () => sample(await cp.metrics(), 'claresia_database_up') === 1);
      cp.db.off('query', count);
      // The read the first scrape started, then the one that answered; not one per scrape.
      assert.ok(figureQueries <= 2, `${figureQueries} figures queries ran for ${SCRAPES} scrapes and one more`);
      assert.equal(sample(await cp.metrics(), 'claresia_database_up'), 1);
    });
  });
}
