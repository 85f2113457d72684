import type { Knex } from 'knex';
import { CommitWakers, rawRows, type Queryable } from '../db/connection.js';
import { JOBS_CHANNEL } from './listener.js';

/**
 * A job queue on one PostgreSQL table, the same on PGlite and on a server.
 *
 * Why not pg-boss (the issue names it): tried with pg-boss 10.4.2 (the last line that runs on
 * Node 20; 11 and 12 need Node 22) over the embedded database through its `db` option. Its
 * schema script (many statements, plpgsql bodies) fails through knex (knex-pglite prepares every
 * statement: "cannot insert multiple commands into a prepared statement") and had to be sent to
 * PGlite's exec directly; enqueuing inside a caller's knex transaction would need its `$n`
 * parameters rewritten to knex's `?`; and its schema, created outside our migrations, took 7.2 s
 * on every fresh embedded database (the test suite starts dozens). Send, fetch and complete then
 * worked. What we need is small: the table below.
 *
 * Guarantees: a job is enqueued in the caller's transaction (it exists exactly when the change
 * that caused it commits) and an enqueue never waits on another transaction; a claim takes jobs
 * under a lease, so two workers (replicas) never hold the same job, and a job whose worker died
 * is taken again when its lease runs out; jobs sharing a key run one at a time, oldest first (two
 * publishes of one tenant in parallel could land out of order); failures retry with capped
 * exponential backoff, then the job is `dead`. Effects are made exactly-once by idempotent
 * handlers, not by the queue (a worker may die after the effect and before the job is deleted).
 */

export interface Job<P = any> {
  id: number;
  queue: string;
  key: string | null;
  tenant_id: string | null;
  payload: P;
  status: 'queued' | 'running' | 'dead';
  attempts: number;
  max_attempts: number;
  run_after: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
}

export interface EnqueueOptions {
  /** Jobs with one key run one at a time; within one transaction a second enqueue returns the first. */
  key?: string;
  tenantId?: string;
  delayMs?: number;
  maxAttempts?: number;
}

const enqueued = new CommitWakers();

/** In-process runners register here so a job enqueued by this process starts without waiting for a poll. */
export function onJobEnqueued(wake: () => void): () => void {
  return enqueued.add(wake);
}


// Jobs already enqueued by a transaction, by queue and key: one per transaction is enough.
const enqueuedIn = new WeakMap<object, Map<string, number>>();

/**
 * Adds a job in `db` (pass the caller's transaction). A plain insert: it takes no lock another
 * writer could be waiting on, whatever else the caller's transaction holds.
 */
export async function enqueue(db: Queryable, queue: string, payload: unknown, opts: EnqueueOptions = {}): Promise<number> {
  const trx = db as Knex.Transaction;
  const tag = opts.key !== undefined && trx.isTransaction ? `${queue}\u0000${opts.key}` : null;
  const earlier = tag ? enqueuedIn.get(trx)?.get(tag) : undefined;
  if (earlier !== undefined) return earlier;
  const res = await db.raw(
    `INSERT INTO jobs (queue, key, tenant_id, payload, status, attempts, max_attempts, run_after, created_at)
     VALUES (?, ?, ?, ?::jsonb, 'queued', 0, ?, now() + (? * interval '1 millisecond'), now())
     RETURNING id`,
    [queue, opts.key ?? null, opts.tenantId ?? null, JSON.stringify(payload ?? {}), opts.maxAttempts ?? 10, opts.delayMs ?? 0],
  );
  const id = Number(rawRows(res)[0].id);
  if (tag) {
    const seen = enqueuedIn.get(trx) ?? new Map<string, number>();
    enqueuedIn.set(trx, seen.set(tag, id));
  }
  enqueued.afterCommit(db);
  return id;
}

/** Deletes the queued jobs of a key other than `keep` (a handler whose work covers theirs). */
export async function dropQueuedSiblings(db: Queryable, queue: string, key: string, keep: number): Promise<number> {
  return db('jobs').where({ queue, key, status: 'queued' }).whereNot('id', keep).delete();
}

const parse = (row: any): Job => ({ ...row, id: Number(row.id), payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload });

// Claims run one at a time across replicas (a short transaction each), so the per-key check
// below sees every other claim's result.
const CLAIM_LOCK = 7_355_608_001;

/**
 * Whether job `j` must wait for another job of its key: one running (under a live lease, or a
 * dead worker's job, which its key's queued jobs wait to see retaken), or one queued ahead of it.
 * What `claim` skips and `nextDueInMs` does not count as due: one condition, so the two agree.
 */
const HELD_BACK_BY_ITS_KEY = `(j.key IS NOT NULL AND EXISTS (
  SELECT 1 FROM jobs o
  WHERE o.queue = j.queue AND o.key = j.key AND o.id <> j.id
    AND ((o.status = 'running' AND o.locked_until >= now())
      OR (o.status = 'running' AND j.status = 'queued')
      OR (o.status = 'queued' AND j.status = 'queued' AND (o.run_after < j.run_after OR (o.run_after = j.run_after AND o.id < j.id))))))`;

/**
 * Takes up to `limit` due jobs of the given queues for `worker`: queued ones whose time has come
 * and running ones whose lease ran out (their worker died or hung), skipping a keyed job while
 * another job of its key runs or waits ahead of it. Times are the database's, so replicas with
 * skewed clocks agree on what is due.
 */
export async function claim(db: Queryable, queues: readonly string[], worker: string, leaseMs: number, limit: number): Promise<Job[]> {
  if (queues.length === 0 || limit <= 0) return [];
  const run = async (trx: Knex.Transaction) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [CLAIM_LOCK]);
    return trx.raw(
      `UPDATE jobs SET status = 'running', locked_by = ?, locked_until = now() + (? * interval '1 millisecond'), attempts = attempts + 1
       WHERE id IN (
         SELECT j.id FROM jobs j
         WHERE j.queue IN (${queues.map(() => '?').join(', ')})
           AND ((j.status = 'queued' AND j.run_after <= now()) OR (j.status = 'running' AND j.locked_until < now()))
           AND NOT ${HELD_BACK_BY_ITS_KEY}
         ORDER BY j.run_after, j.id
         LIMIT ?
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [worker, leaseMs, ...queues, limit],
    );
  };
  const res = (db as Knex.Transaction).isTransaction ? await run(db as Knex.Transaction) : await (db as Knex).transaction(run);
  return rawRows(res).map(parse);
}

/**
 * Milliseconds until the next job of these queues falls due: the earliest queued job's time, or
 * a running job's lease end (its worker may be dead); 0 when one is due already, undefined when
 * there is none. A replica woken only by notifications sleeps until then.
 *
 * A queued job that `claim` would skip for another job of its key is not due: releasing the job
 * ahead of it notifies every replica (`releasing`), and if its worker dies holding it, the lease
 * end below wakes everyone. Counted as due, it kept every replica looking every `pollMs` for as
 * long as the job ahead of it ran.
 */
export async function nextDueInMs(db: Queryable, queues: readonly string[]): Promise<number | undefined> {
  if (queues.length === 0) return undefined;
  const list = queues.map(() => '?').join(', ');
  const res = await db.raw(
    `SELECT (EXTRACT(EPOCH FROM (min(t) - now())) * 1000)::float8 AS ms FROM (
       SELECT min(j.run_after) AS t FROM jobs j WHERE j.status = 'queued' AND j.queue IN (${list})
         AND NOT ${HELD_BACK_BY_ITS_KEY}
       UNION ALL SELECT min(locked_until) FROM jobs WHERE status = 'running' AND queue IN (${list})) due`,
    [...queues, ...queues],
  );
  const ms = rawRows(res)[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
}

/** Keeps a long job's lease; false when it was lost (another worker has the job now). */
export async function extendLease(db: Queryable, job: Job, worker: string, leaseMs: number): Promise<boolean> {
  const n = await db('jobs')
    .where({ id: job.id, locked_by: worker, status: 'running' })
    .update({ locked_until: db.raw(`now() + (? * interval '1 millisecond')`, [leaseMs]) });
  return n > 0;
}

/**
 * Runs `release` (a worker letting go of its job) and, when the job has a key and another job of
 * that key is queued, notifies every replica in the same transaction. That next job counted as
 * not due while this one ran (nextDueInMs), so nobody else looks for it; the notification arrives
 * once the release is visible, even if this worker's process stops or dies right after.
 */
async function releasing(db: Queryable, job: Job, release: (q: Queryable) => Promise<number>): Promise<number> {
  if (job.key === null || job.key === undefined) return release(db);
  const run = async (trx: Knex.Transaction) => {
    const n = await release(trx);
    if (n > 0) {
      await trx.raw(`SELECT pg_notify(?, '') FROM jobs WHERE queue = ? AND key = ? AND status = 'queued' AND id <> ? LIMIT 1`, [JOBS_CHANNEL, job.queue, job.key, job.id]);
    }
    return n;
  };
  return (db as Knex.Transaction).isTransaction ? run(db as Knex.Transaction) : (db as Knex).transaction(run);
}

/** The job is done: deleted, if this worker still holds it. */
export async function complete(db: Queryable, job: Job, worker: string): Promise<boolean> {
  return (await releasing(db, job, (q) => q('jobs').where({ id: job.id, locked_by: worker, status: 'running' }).delete())) > 0;
}

/** Puts a failed job back with a delay, or marks it dead when it has no attempts left. */
export async function fail(db: Queryable, job: Job, worker: string, error: string, retryInMs: number | null): Promise<'retry' | 'dead' | 'lost'> {
  const mine = { id: job.id, locked_by: worker, status: 'running' };
  const message = error.slice(0, 1000);
  if (retryInMs === null || job.attempts >= job.max_attempts) {
    const n = await releasing(db, job, (q) => q('jobs').where(mine).update({ status: 'dead', locked_by: null, locked_until: null, last_error: message }));
    return n > 0 ? 'dead' : 'lost';
  }
  const n = await releasing(db, job, (q) =>
    q('jobs')
      .where(mine)
      .update({ status: 'queued', locked_by: null, locked_until: null, last_error: message, run_after: q.raw(`now() + (? * interval '1 millisecond')`, [Math.max(0, Math.round(retryInMs))]) }),
  );
  return n > 0 ? 'retry' : 'lost';
}

/** Capped exponential backoff with a little jitter, so retries of many jobs do not arrive together. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.min(maxMs, Math.round(exp * (0.9 + Math.random() * 0.2)));
}
