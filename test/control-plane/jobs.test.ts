import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { KeyRing, migrateLatest, openDatabase, type AppContext, type Db } from '@claresia/control-plane';
import { claim, complete, enqueue, type Job } from '../../control-plane/src/jobs/queue.js';
import { JOBS_CHANNEL, listenForJobs } from '../../control-plane/src/jobs/listener.js';
import { defineJob, RetryLater } from '../../control-plane/src/jobs/registry.js';
import { startRunner, type Runner } from '../../control-plane/src/jobs/runner.js';
import { jobSettings, type JobSettings } from '../../control-plane/src/jobs/settings.js';
import { dbKinds, freshDatabase, type TestDatabase } from '../support/db.js';
import { sleep, until } from '../support/until.js';

/** What the test queues' handlers did, by database (each suite has its own). */
interface Record_ {
  runs: Map<number, number>;
  holders: Map<number, string>;
  overlaps: string[];
  fail: Map<number, number>;
}
const records = new Map<string, Record_>();
const recordOf = (db: Db): Record_ => {
  const k = (db as unknown as { __tag?: string }).__tag!;
  let r = records.get(k);
  if (!r) records.set(k, (r = { runs: new Map(), holders: new Map(), overlaps: [], fail: new Map() }));
  return r;
};

// Runs a few ms; notes any job held by two workers at once.
defineJob<{ n: number }>({
  queue: 'test.record',
  async handle(app, job) {
    const r = recordOf(app.db);
    const holder = r.holders.get(job.id);
    if (holder) r.overlaps.push(`job ${job.id} held by ${holder} while taken again`);
    r.holders.set(job.id, String(job.locked_by));
    await sleep(2 + (job.payload.n % 5));
    r.holders.delete(job.id);
    r.runs.set(job.id, (r.runs.get(job.id) ?? 0) + 1);
  },
  retryDelayMs: () => 10,
});

// Fails as often as the test says, then succeeds.
defineJob<{ failures: number; retryLater?: number }>({
  queue: 'test.flaky',
  async handle(app, job) {
    const r = recordOf(app.db);
    r.runs.set(job.id, (r.runs.get(job.id) ?? 0) + 1);
    if (job.attempts <= job.payload.failures) {
      if (job.payload.retryLater) throw new RetryLater('later', job.payload.retryLater);
      throw new Error(`failure ${job.attempts}`);
    }
  },
  retryDelayMs: (attempt) => 20 * 2 ** (attempt - 1),
});

// The lease is long enough that a busy machine (PGlite runs on the event loop) never starves a live worker's renewals.
// Runs a while and records the order jobs of each key finished in, and any two of one key running together.
const keyed = { running: new Set<string>(), done: [] as number[], overlaps: [] as string[] };
defineJob<{ n: number }>({
  queue: 'test.keyed',
  async handle(_app, job) {
    if (keyed.running.has(job.key!)) keyed.overlaps.push(`job ${job.id} started while another job of ${job.key} ran`);
    keyed.running.add(job.key!);
    await sleep(5);
    keyed.running.delete(job.key!);
    keyed.done.push(job.id);
  },
  retryDelayMs: () => 10,
});

// Runs until the test lets it go (a long delivery, say), and notes which worker started which job.
const held = { started: new Map<number, string>(), release: () => {}, gate: Promise.resolve() };
defineJob<Record<string, never>>({
  queue: 'test.held',
  async handle(_app, job) {
    held.started.set(job.id, String(job.locked_by));
    await held.gate;
  },
  retryDelayMs: () => 10,
});

const SETTINGS: JobSettings = { ...jobSettings({}), pollMs: 20, leaseMs: 5000, concurrency: 4 };

function appOn(db: Db, tag: string): AppContext {
  (db as unknown as { __tag: string }).__tag = tag;
  return { config: {} as AppContext['config'], db, keys: new KeyRing(Buffer.alloc(32)), logger: pino({ level: 'silent' }), publicUrl: () => 'http://unused' };
}

for (const kind of dbKinds()) {
  describe(`durable job queue [${kind}]`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let app: AppContext;
    const runners: Runner[] = [];
    const extraDbs: Db[] = [];
    const tag = `${kind}-${Math.random()}`;

    before(async () => {
      tdb = await freshDatabase(kind);
      await migrateLatest(tdb.db);
      app = appOn(tdb.db, tag);
    });
    afterEach(async () => {
      while (runners.length) await runners.pop()!.stop();
    });
    after(async () => {
      for (const d of extraDbs) await d.destroy();
      await tdb?.drop();
    });

    /** A second replica: its own pool on the server; the same (single) connection on PGlite. */
    function replica(): AppContext {
      if (kind === 'pglite') return app;
      const db = openDatabase({ databaseUrl: tdb.url! });
      extraDbs.push(db);
      return appOn(db, tag);
    }

    it('an enqueue belongs to its transaction: rolled back, no job; committed, it runs', async () => {
      await assert.rejects(
        app.db.transaction(async (trx) => {
          await enqueue(trx, 'test.record', { n: 1 });
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      assert.equal(Number((await app.db('jobs').count({ n: '*' }))[0]!.n), 0);
      const id = await app.db.transaction((trx) => enqueue(trx, 'test.record', { n: 1 }));
      runners.push(startRunner(app, SETTINGS));
      await until('the job ran', () => recordOf(app.db).runs.get(id) === 1);
      await until('the job left the queue', async () => !(await app.db('jobs').where({ id }).first()));
    });

    it('two replicas never run the same job, and every job runs once', async () => {
      const ids: number[] = [];
      await app.db.transaction(async (trx) => {
        for (let n = 0; n < 200; n++) ids.push(await enqueue(trx, 'test.record', { n }));
      });
      runners.push(startRunner(app, SETTINGS), startRunner(replica(), SETTINGS));
      const r = recordOf(app.db);
      await until('all ran', () => ids.every((id) => r.runs.has(id)), 30_000);
      // A job's row goes once its handler returned and the runner recorded it: every job done.
      await until('every job left the queue', async () => Number((await app.db('jobs').count({ n: '*' }))[0]!.n) === 0);
      assert.deepEqual(r.overlaps, []);
      assert.deepEqual(
        ids.filter((id) => r.runs.get(id) !== 1),
        [],
        'each exactly once',
      );
    });

    it('a job whose worker died is taken again when its lease runs out', async () => {
      const id = await enqueue(app.db, 'test.record', { n: 0 });
      // A worker takes it and dies: nobody completes it or renews its lease.
      const [taken] = (await claim(app.db, ['test.record'], 'dead-worker', 300, 1)) as Job[];
      assert.equal(taken!.id, id);
      const claimedAt = Date.now();
      runners.push(startRunner(app, SETTINGS));
      await sleep(150);
      assert.equal(recordOf(app.db).runs.get(id), undefined, 'not while the lease holds');
      await until('retaken after the lease', () => recordOf(app.db).runs.get(id) === 1);
      assert.ok(Date.now() - claimedAt >= 300);
      await until('done', async () => !(await app.db('jobs').where({ id }).first()));
    });

    it('failures retry with growing delays, then the job is dead; RetryLater sets its own delay', async () => {
      const ok = await enqueue(app.db, 'test.flaky', { failures: 3 }, { maxAttempts: 5 });
      const dead = await enqueue(app.db, 'test.flaky', { failures: 10 }, { maxAttempts: 3 });
      const later = await enqueue(app.db, 'test.flaky', { failures: 1, retryLater: 600 }, { maxAttempts: 5 });
      const started = Date.now();
      runners.push(startRunner(app, SETTINGS));
      const r = recordOf(app.db);
      await until('ok succeeded', async () => r.runs.get(ok) === 4 && !(await app.db('jobs').where({ id: ok }).first()));
      const row = await until('dead', async () => {
        const j = await app.db('jobs').where({ id: dead }).first();
        return j?.status === 'dead' && j;
      });
      assert.equal(row.attempts, 3);
      assert.match(row.last_error, /failure 3/);
      assert.equal(r.runs.get(dead), 3);
      await until('later succeeded', () => r.runs.get(later) === 2);
      assert.ok(Date.now() - started >= 600, 'waited the delay the handler asked for');
      await app.db('jobs').where({ id: dead }).delete();
    });

    it("a dead worker's job is retaken before the queued jobs of its key, never beside them", async () => {
      const first = await enqueue(app.db, 'test.keyed', { n: 1 }, { key: 'dead-key' });
      const second = await enqueue(app.db, 'test.keyed', { n: 2 }, { key: 'dead-key' });
      // Its worker takes the first job and dies: the lease runs out.
      assert.deepEqual((await claim(app.db, ['test.keyed'], 'dead-worker', 1, 5)).map((j) => j.id), [first]);
      await sleep(20);
      const taken = await claim(app.db, ['test.keyed'], 'next-worker', 5000, 5);
      assert.deepEqual(taken.map((j) => j.id), [first], 'the expired job alone, not the queued one of its key with it');
      await complete(app.db, taken[0]!, 'next-worker');
      assert.deepEqual((await claim(app.db, ['test.keyed'], 'next-worker', 5000, 5)).map((j) => j.id), [second]);
      await app.db('jobs').where({ key: 'dead-key' }).delete();
    });

    it('jobs with one key run one at a time, in order, across replicas; one enqueue per key and transaction', async () => {
      const [a, b] = await app.db.transaction(async (trx) => [await enqueue(trx, 'test.record', { n: 1 }, { key: 'k0' }), await enqueue(trx, 'test.record', { n: 2 }, { key: 'k0' })]);
      assert.equal(a, b, 'joined within the transaction');
      await app.db('jobs').where({ id: a }).delete();
      keyed.done.length = 0;
      keyed.overlaps.length = 0;
      const ids: Record<string, number[]> = {};
      for (let n = 0; n < 60; n++) {
        const key = `k${n % 3}`;
        (ids[key] ??= []).push(await enqueue(app.db, 'test.keyed', { n }, { key }));
      }
      runners.push(startRunner(app, SETTINGS), startRunner(replica(), SETTINGS));
      const all = Object.values(ids).flat();
      await until('all ran', () => all.every((id) => keyed.done.includes(id)), 30_000);
      assert.deepEqual(keyed.overlaps, []);
      for (const list of Object.values(ids)) {
        assert.deepEqual(
          keyed.done.filter((id) => list.includes(id)),
          list,
          'in enqueue order within a key',
        );
      }
    });

    if (kind === 'pg') {
      it('an enqueue never waits on another transaction enqueuing the same key', async () => {
        const other = replica();
        let releaseFirst!: () => void;
        const held = new Promise<void>((r) => (releaseFirst = r));
        const first = app.db.transaction(async (trx) => {
          await enqueue(trx, 'test.record', { n: 1 }, { key: 'busy' });
          await held;
        });
        await sleep(100);
        const started = Date.now();
        await other.db.transaction((trx) => enqueue(trx, 'test.record', { n: 2 }, { key: 'busy' }));
        assert.ok(Date.now() - started < 2000, 'did not wait for the first transaction');
        releaseFirst();
        await first;
        await app.db('jobs').where({ key: 'busy' }).delete();
      });
    }

    if (kind === 'pg') {
      /** Claims this database's pool sends (the claim transaction's advisory lock). */
      const countClaims = (db: Db) => {
        const counter = { n: 0 };
        db.on('query', (q: { sql: string }) => {
          if (q.sql.includes('pg_advisory_xact_lock')) counter.n++;
        });
        return counter;
      };
      /** Looks this pool made while listening: only then does the runner ask when the next job is due. */
      const wentIdle = (db: Db) => {
        const counter = { n: 0 };
        db.on('query-response', (_r: unknown, q: { sql: string }) => {
          if (q.sql.includes('EXTRACT(EPOCH FROM (min(t) - now()))')) counter.n++;
        });
        return counter;
      };
      /** A job enqueued by another process: its own connection, its own transaction. */
      const enqueueElsewhere = async (n: number, notify = true) => {
        const other = new pg.Client({ connectionString: tdb.url! });
        await other.connect();
        try {
          await other.query('BEGIN');
          const res = await other.query(`INSERT INTO jobs (queue, payload, status, attempts, max_attempts, run_after, created_at) VALUES ('test.record', $1, 'queued', 0, 5, now(), now()) RETURNING id`, [{ n }]);
          await other.query('COMMIT');
          if (notify) await other.query(`SELECT pg_notify('${JOBS_CHANNEL}', '')`);
          return Number(res.rows[0].id);
        } finally {
          await other.end();
        }
      };
      const listenerBackends = async () =>
        (await app.db.raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN ${JOBS_CHANNEL}' AND pid <> pg_backend_pid()`)).rows.map((r: { pid: number }) => r.pid) as number[];

      it('an enqueue notifies other replicas once its transaction commits, never when it rolls back', async () => {
        runners.push(startRunner(app, { ...SETTINGS, idlePollMs: 60_000 }));
        await until('listening', async () => (await listenerBackends()).length === 1);
        const listener = new pg.Client({ connectionString: tdb.url! });
        await listener.connect();
        const heard: string[] = [];
        listener.on('notification', (m) => heard.push(m.channel));
        await listener.query(`LISTEN ${JOBS_CHANNEL}`);
        try {
          await assert.rejects(
            app.db.transaction(async (trx) => {
              await enqueue(trx, 'test.record', { n: 1 });
              await sleep(100);
              assert.deepEqual(heard, [], 'nothing before the commit');
              throw new Error('rolled back');
            }),
            /rolled back/,
          );
          await sleep(200);
          assert.deepEqual(heard, [], 'nothing for a rolled-back enqueue');
          await app.db.transaction((trx) => enqueue(trx, 'test.record', { n: 2 }));
          await until('the committed enqueue was heard', () => heard.length === 1, 5000);
        } finally {
          await listener.end();
          await app.db('jobs').delete();
        }
      });

      it('an idle replica listens instead of polling, and wakes at once for another process\'s job', async () => {
        const rep = replica();
        const claims = countClaims(rep.db);
        const idle = wentIdle(rep.db);
        runners.push(startRunner(rep, { ...SETTINGS, pollMs: 100, idlePollMs: 60_000 }));
        await until('listening', async () => (await listenerBackends()).length === 1);
        // It polls until its listener has proved it hears notifications, however long that takes on
        // a loaded machine; the first look after that asks when the next job is due, then it sleeps.
        await until('the runner listening, not polling', () => idle.n > 0);
        const settled = claims.n;
        await sleep(2000);
        assert.equal(claims.n, settled, `an idle replica made ${claims.n - settled} claims in 2 s (polling every 100 ms would be ~20)`);
        const t0 = Date.now();
        const id = await enqueueElsewhere(7);
        await until('the job ran', () => recordOf(rep.db).runs.get(id) === 1, 5000);
        assert.ok(Date.now() - t0 < 2000, `picked up after ${Date.now() - t0} ms, with the idle poll at 60 s`);
      });

      it('a job waiting behind another of its key keeps no replica polling; another replica takes it once that one ends, though its worker is stopping', async () => {
        const reps = [replica(), replica()];
        const claims = reps.map((r) => countClaims(r.db));
        const idle = reps.map((r) => wentIdle(r.db));
        const mine = reps.map((r) => startRunner(r, { ...SETTINGS, pollMs: 100, idlePollMs: 60_000, leaseMs: 20_000 }));
        runners.push(...mine);
        await until('listening', async () => (await listenerBackends()).length === 2);
        // Until its listener has proved itself, a replica polls: those looks are not the ones counted below.
        await until('both runners listening, not polling', () => idle.every((c) => c.n > 0));
        held.gate = new Promise<void>((r) => (held.release = r));
        const first = await enqueue(app.db, 'test.held', {}, { key: 'one-at-a-time' });
        const second = await enqueue(app.db, 'test.held', {}, { key: 'one-at-a-time' });
        try {
          await until('the first started', () => held.started.has(first), 5000);
          await sleep(300);
          const settled = claims.map((c) => c.n);
          await sleep(1500);
          const looks = claims.map((c, i) => c.n - settled[i]!);
          assert.deepEqual(looks, [0, 0], `claims per replica in 1.5 s while the second job waited: ${looks} (polling every 100 ms would be ~15 each)`);
          assert.ok(!held.started.has(second), 'the second waits for the first');
          // The first one's worker is being stopped (a deploy) as the first ends: it takes no
          // more jobs, so the other replica must hear that the key is free.
          const holder = mine.find((r) => r.workerId === held.started.get(first))!;
          const stopping = holder.stop();
          const t0 = Date.now();
          held.release();
          await stopping;
          await until('the second ran', () => held.started.has(second), 5000);
          assert.ok(Date.now() - t0 < 1000, `the second started ${Date.now() - t0} ms after the first ended, with the idle poll at 60 s and leases of 20 s`);
          assert.notEqual(held.started.get(second), holder.workerId, 'on the other replica');
        } finally {
          held.release();
          await app.db('jobs').whereIn('id', [first, second]).delete();
        }
      });

      it('a retry falls due without a poll while listening', async () => {
        const rep = replica();
        runners.push(startRunner(rep, { ...SETTINGS, pollMs: 100, idlePollMs: 60_000 }));
        await until('listening', async () => (await listenerBackends()).length === 1);
        const id = await enqueue(app.db, 'test.flaky', { failures: 1, retryLater: 700 }, { maxAttempts: 3 });
        await until('retried after its delay', () => recordOf(rep.db).runs.get(id) === 2, 5000);
        await until('done', async () => !(await app.db('jobs').where({ id }).first()));
      });

      /**
       * A TCP relay to the database whose server-to-client bytes pass through a filter made by
       * `passFor` for each connection (the client's go through untouched): a database URL
       * through it, and a way to close it.
       */
      async function relay(passFor: () => (bytes: Buffer) => Buffer): Promise<{ url: string; close(): void }> {
        const target = new URL(tdb.url!);
        const sockets = new Set<net.Socket>();
        const server = net.createServer((inbound) => {
          const outbound = net.connect(Number(target.port || 5432), target.hostname);
          for (const [from, to, filter] of [[inbound, outbound, (b: Buffer) => b], [outbound, inbound, passFor()]] as const) {
            sockets.add(from);
            from.on('data', (d) => {
              const out = filter(d);
              if (out.length) to.write(out);
            });
            from.on('error', () => {});
            from.on('close', () => to.destroy());
          }
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const url = new URL(tdb.url!);
        url.port = String((server.address() as net.AddressInfo).port);
        return {
          url: url.toString(),
          close() {
            for (const so of sockets) so.destroy();
            server.close();
          },
        };
      }

      it('a LISTEN connection that goes silent is noticed by its health check, and stop() does not wait on it', async () => {
        // The relay stops passing bytes without closing anything, as a firewall dropping an idle connection does.
        let frozen = false;
        const r = await relay(() => (b) => (frozen ? Buffer.alloc(0) : b));
        const db = openDatabase({ databaseUrl: r.url });
        const events: string[] = [];
        const l = listenForJobs(db, { wake: () => events.push('wake'), down: () => events.push('down') }, pino({ level: 'silent' }), 300)!;
        try {
          await until('listening', () => l.listening());
          frozen = true;
          await until('the silent connection noticed', () => !l.listening() && events.includes('down'), 10_000);
          const t0 = Date.now();
          await l.stop();
          assert.ok(Date.now() - t0 < 8000, `stop() took ${Date.now() - t0} ms`);
        } finally {
          await l.stop();
          r.close();
          await db.destroy();
        }
      });

      it('a LISTEN that hears nothing (a pooler in transaction mode) is not counted as listening: the replica polls and says why', async () => {
        // Everything passes but notifications (NotificationResponse, type 'A'), as behind PgBouncer
        // in transaction mode, where LISTEN succeeds on a server connection the client then leaves.
        const r = await relay(() => {
          let pending = Buffer.alloc(0);
          return (b) => {
            pending = Buffer.concat([pending, b]);
            const keep: Buffer[] = [];
            while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
              const size = 1 + pending.readInt32BE(1);
              if (pending[0] !== 0x41) keep.push(pending.subarray(0, size));
              pending = pending.subarray(size);
            }
            return Buffer.concat(keep);
          };
        });
        const db = openDatabase({ databaseUrl: r.url });
        const events: string[] = [];
        const logged: string[] = [];
        const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
        const l = listenForJobs(db, { wake: () => events.push('wake'), down: () => events.push('down') }, logger, 60_000)!;
        try {
          await until('the probe given up', () => events.includes('down'), 10_000);
          assert.equal(l.listening(), false);
          assert.match(logged.join(''), /"msg":"jobs: LISTEN hears no notifications; polling/);
          assert.match(logged.join(''), /did not come back on the LISTEN connection in 5000 ms; .*set CLARESIA_JOBS_LISTEN=0/);
          // The probe was sent and answered by the server; only its delivery was lost.
          assert.equal((await db.raw('SELECT 1 AS one')).rows[0].one, 1);
        } finally {
          await l.stop();
          r.close();
          await db.destroy();
        }
      });

      it('a probe that waits for a busy pool is not taken for a pooler: the deadline starts once it is sent', async () => {
        const db = openDatabase({ databaseUrl: tdb.url!, poolMax: 1 });
        const logged: string[] = [];
        const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
        // The pool's one connection is busy for longer than the probe's deadline.
        const busy = db.raw('SELECT pg_sleep(5.5)');
        const l = listenForJobs(db, { wake: () => {}, down: () => {} }, logger, 60_000)!;
        try {
          await busy;
          await until('listening once the pool is free', () => l.listening(), 5000);
          assert.deepEqual(logged, []);
        } finally {
          await l.stop();
          await db.destroy();
        }
      });

      it('refuses settings that would stop or spin the runner, naming them (review v3 F3)', () => {
        for (const [env, message] of [
          [{ CLARESIA_JOBS_CONCURRENCY: '0.5' }, /CLARESIA_JOBS_CONCURRENCY must be a positive integer, got "0.5"/],
          [{ CLARESIA_JOBS_CONCURRENCY: '0' }, /CLARESIA_JOBS_CONCURRENCY/],
          [{ CLARESIA_PUBLISH_MAX_ATTEMPTS: '0.9' }, /CLARESIA_PUBLISH_MAX_ATTEMPTS/],
          [{ CLARESIA_JOBS_POLL_MS: '0.001' }, /CLARESIA_JOBS_POLL_MS/],
          [{ CLARESIA_JOBS_POLL_MS: '0x50' }, /CLARESIA_JOBS_POLL_MS/],
          [{ CLARESIA_JOBS_POLL_MS: '10000', CLARESIA_JOBS_IDLE_POLL_MS: '100' }, /CLARESIA_JOBS_IDLE_POLL_MS \(100\) must be at least CLARESIA_JOBS_POLL_MS \(10000\)/],
        ] as const) {
          assert.throws(() => jobSettings(env), message, JSON.stringify(env));
        }
        assert.deepEqual([jobSettings({ CLARESIA_JOBS_CONCURRENCY: '2' }).concurrency, jobSettings({}).concurrency], [2, 8]);
      });

      it('with CLARESIA_JOBS_LISTEN=0 (behind a pooler in transaction mode) it polls and opens no LISTEN connection', async () => {
        assert.throws(() => jobSettings({ CLARESIA_JOBS_LISTEN: 'yes' }), /CLARESIA_JOBS_LISTEN must be 0 or 1/);
        const s = jobSettings({ CLARESIA_JOBS_LISTEN: '0', CLARESIA_JOBS_POLL_MS: '50' });
        assert.equal(s.listen, false);
        const rep = replica();
        const claims = countClaims(rep.db);
        runners.push(startRunner(rep, { ...SETTINGS, ...s }));
        const id = await enqueueElsewhere(6);
        await until('the job ran', () => recordOf(rep.db).runs.get(id) === 1, 5000);
        const before = claims.n;
        await sleep(500);
        assert.deepEqual(await listenerBackends(), []);
        assert.ok(claims.n - before >= 4, `polled every 50 ms while idle (${claims.n - before} claims in 500 ms)`);
      });

      it('a lost LISTEN connection is made again, and jobs keep running meanwhile', async () => {
        const rep = replica();
        runners.push(startRunner(rep, { ...SETTINGS, pollMs: 100, idlePollMs: 60_000 }));
        const [first] = await until('listening', async () => ((await listenerBackends()).length === 1 ? listenerBackends() : undefined));
        await app.db.raw('SELECT pg_terminate_backend(?)', [first]);
        // Nobody hears a notification now: the replica finds the job by polling.
        const during = await enqueueElsewhere(8, false);
        await until('a job enqueued while the listener was down ran', () => recordOf(rep.db).runs.get(during) === 1, 5000);
        const [second] = await until('listening again', async () => {
          const pids = await listenerBackends();
          return pids.length === 1 && pids[0] !== first ? pids : undefined;
        });
        assert.notEqual(second, first);
        const t0 = Date.now();
        const after = await enqueueElsewhere(9);
        await until('a job after the reconnect ran', () => recordOf(rep.db).runs.get(after) === 1, 5000);
        assert.ok(Date.now() - t0 < 2000);
      });
    }

    it('the queue survives a restart of the database connection (and of PGlite from its data directory)', async () => {
      let db: Db;
      let dir: string | undefined;
      if (kind === 'pglite') {
        dir = mkdtempSync(path.join(tmpdir(), 'claresia-jobs-'));
        db = openDatabase({ dataDir: dir });
        await migrateLatest(db);
      } else db = openDatabase({ databaseUrl: tdb.url! });
      const ids: number[] = [];
      for (let n = 0; n < 5; n++) ids.push(await enqueue(db, 'test.record', { n }));
      await db.destroy();
      const reopened = kind === 'pglite' ? openDatabase({ dataDir: dir! }) : openDatabase({ databaseUrl: tdb.url! });
      try {
        const app2 = appOn(reopened, `${tag}-restart`);
        runners.push(startRunner(app2, SETTINGS));
        await until('all ran after the restart', () => ids.every((id) => recordOf(reopened).runs.get(id) === 1));
        await runners.pop()!.stop();
      } finally {
        await reopened.destroy();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
