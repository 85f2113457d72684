import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { rawRows, type Db } from '../db/connection.js';
import { queueNames } from '../jobs/registry.js';

/**
 * How long a scrape waits for the database: a scrape during an outage should still answer
 * (with claresia_database_up 0 and the pool's figures) before Prometheus gives up on it (10 s).
 */
const SCRAPE_DB_TIMEOUT_MS = 2000;

interface QueueRow {
  queue: string;
  ready: number;
  oldest_ready_seconds: number | null;
  running: number;
  retrying: number;
  dead: number;
}

/**
 * The job queue as it stands, per queue: due jobs no worker holds (a dead worker's lapsed lease
 * counts: it is due again), how long the oldest of them has been due, jobs being worked, jobs
 * waiting to retry after a failure, and dead jobs (out of attempts; kept until retention).
 */
async function queueFigures(db: Db): Promise<QueueRow[]> {
  const due = `((status = 'queued' AND run_after <= now()) OR (status = 'running' AND locked_until < now()))`;
  const r = await db.raw(
    `SELECT queue,
            count(*) FILTER (WHERE ${due})::int AS ready,
            extract(epoch FROM now() - min(CASE WHEN status = 'queued' THEN run_after ELSE locked_until END) FILTER (WHERE ${due}))::float8 AS oldest_ready_seconds,
            count(*) FILTER (WHERE status = 'running' AND locked_until >= now())::int AS running,
            count(*) FILTER (WHERE status = 'queued' AND attempts > 0)::int AS retrying,
            count(*) FILTER (WHERE status = 'dead')::int AS dead
       FROM jobs GROUP BY queue`,
  );
  return rawRows<QueueRow>(r);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The pool's counts (tarn, under knex); absent on a client without one. */
function poolOf(db: Db): { numUsed(): number; numFree(): number; numPendingAcquires(): number; numPendingCreates(): number } | undefined {
  return (db.client as { pool?: ReturnType<typeof poolOf> }).pool ?? undefined;
}

/**
 * One registry per app instance, so tests can start several control planes in one process.
 * The queue and pool figures are read when scraped, not kept up to date in between: every
 * replica reports the shared queue as it is, and a stuck queue shows whichever replica is asked.
 */
export function createMetrics(db?: Db) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'claresia_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'claresia_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  if (db) registerDatabaseFigures(registry, db);
  return { registry, requests, duration };
}

function registerDatabaseFigures(registry: Registry, db: Db): void {
  // One query per scrape: the registry collects every metric at once, so the first collector
  // starts it and the others share it.
  let reading: Promise<QueueRow[] | undefined> | undefined;
  const read = () =>
    (reading ??= withTimeout(queueFigures(db), SCRAPE_DB_TIMEOUT_MS)
      .catch(() => undefined)
      .finally(() => setImmediate(() => (reading = undefined))));

  new Gauge({
    name: 'claresia_database_up',
    help: '1 when this scrape could read the job queue from the database, 0 when it could not',
    registers: [registry],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  const perQueue = (name: string, help: string, value: (r: QueueRow | undefined) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const rows = await read();
        this.reset();
        // Without an answer the queue's figures are left out rather than reported as zero.
        if (!rows) return;
        const byQueue = new Map(rows.map((r) => [r.queue, r]));
        for (const q of new Set([...queueNames(), ...byQueue.keys()])) this.set({ queue: q }, value(byQueue.get(q)));
      },
    });
  perQueue('claresia_jobs_ready', 'Jobs due to run that no worker holds, by queue (a lapsed lease counts)', (r) => r?.ready ?? 0);
  perQueue('claresia_jobs_oldest_ready_age_seconds', 'How long the longest-waiting due job has been due, by queue (0 when none is)', (r) => Math.max(0, r?.oldest_ready_seconds ?? 0));
  perQueue('claresia_jobs_running', 'Jobs a worker holds under a live lease, by queue', (r) => r?.running ?? 0);
  perQueue('claresia_jobs_retrying', 'Jobs that failed at least once and wait to be tried again, by queue', (r) => r?.retrying ?? 0);
  perQueue('claresia_jobs_dead', 'Jobs out of attempts (failed for good), by queue; kept until CLARESIA_RETENTION_DAYS', (r) => r?.dead ?? 0);

  const pool = (name: string, help: string, value: (p: NonNullable<ReturnType<typeof poolOf>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = poolOf(db);
        this.set(p ? value(p) : 0);
      },
    });
  pool('claresia_db_pool_used', "Connections of this replica's database pool in use", (p) => p.numUsed());
  pool('claresia_db_pool_free', "Open connections of this replica's database pool not in use", (p) => p.numFree());
  pool('claresia_db_pool_waiting', 'Queries of this replica waiting for a pool connection (above 0 for long: the pool is too small or the database slow)', (p) => p.numPendingAcquires());
  pool('claresia_db_pool_opening', "Connections this replica's pool is opening now", (p) => p.numPendingCreates());
}

export type Metrics = ReturnType<typeof createMetrics>;
