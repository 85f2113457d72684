import type { Knex } from 'knex';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/connection.js';
import type { JobSettings } from './settings.js';
import { IDEMPOTENCY_TTL_MS, SECRET_REPLY_TTL_MS } from '../http/idempotency.js';

// Rows per DELETE: a sweep after a long outage must not hold locks or a PGlite connection for long.
const CHUNK = 1000;

// Counted from RETURNING: the embedded database's driver does not report a DELETE's row count.
const removed = async (q: ReturnType<Queryable>) => ((await q.delete().returning('id')) as unknown[]).length;

export interface Swept {
  deliveries: number;
  events: number;
  dead_jobs: number;
}

/**
 * What the queue and the webhooks leave behind once they are finished with it: deliveries made
 * or given up, webhook events no delivery points at any more, and dead jobs, each once older
 * than the retention period. Pending deliveries and live jobs are never touched, whatever their
 * age. The governance event chain is not this sweep's: it is the tenant's audit trail.
 */
export async function sweep(db: Queryable, retentionMs: number, now = new Date()): Promise<Swept> {
  const before = new Date(now.getTime() - retentionMs);
  const inChunks = async (ids: () => Promise<Array<string | number>>, remove: (ids: Array<string | number>) => Promise<number>) => {
    let total = 0;
    for (;;) {
      const batch = await ids();
      if (!batch.length) return total;
      total += await remove(batch);
      if (batch.length < CHUNK) return total;
    }
  };
  const deliveries = await inChunks(
    async () => (await db('webhook_deliveries').whereIn('status', ['delivered', 'failed']).where('created_at', '<', before).limit(CHUNK).pluck('id')) as string[],
    (ids) => removed(db('webhook_deliveries').whereIn('id', ids)),
  );
  const events = await inChunks(
    async () =>
      (await db('webhook_events as e')
        .where('e.created_at', '<', before)
        .whereNotExists((q) => q.select(db.raw('1')).from('webhook_deliveries as d').whereRaw('d.event_id = e.id'))
        .limit(CHUNK)
        .pluck('e.id')) as string[],
    (ids) => removed(db('webhook_events').whereIn('id', ids)),
  );
  const deadJobs = await inChunks(
    async () => (await db('jobs').where('status', 'dead').where('run_after', '<', before).limit(CHUNK).pluck('id')) as number[],
    (ids) => removed(db('jobs').whereIn('id', ids).where('status', 'dead')),
  );
  return { deliveries, events, dead_jobs: deadJobs };
}

/**
 * Idempotency-Key records past their life (the API no longer replays them either), whatever the
 * retention period: they are a retry cache, not a record. A reply holding a secret goes after an
 * hour, every other after 24 h.
 */
export async function sweepIdempotencyKeys(db: Queryable, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - IDEMPOTENCY_TTL_MS);
  const secretBefore = new Date(now.getTime() - SECRET_REPLY_TTL_MS);
  const past = (q: Knex.QueryBuilder) => q.where((w) => w.where('created_at', '<', before).orWhere((o) => o.where('holds_secret', true).where('created_at', '<', secretBefore)));
  const columns = ['scope', 'principal', 'key'];
  let total = 0;
  for (;;) {
    const batch = (await past(db('idempotency_keys')).limit(CHUNK).select(columns)) as Array<Record<string, string>>;
    if (!batch.length) return total;
    const deleted = (await past(db('idempotency_keys').whereIn(columns, batch.map((r) => columns.map((c) => r[c]!))))
      .delete()
      .returning('key')) as unknown[];
    total += deleted.length;
    if (batch.length < CHUNK) return total;
  }
}

/**
 * Sweeps every `everyMs` in this replica (the first a minute after start, so start-up is not
 * slowed). Replicas may sweep at the same time: each DELETE takes what is still there.
 */
export function startSweeps(app: AppContext, s: Pick<JobSettings, 'retentionMs' | 'retentionSweepMs'>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = Promise.all([sweep(app.db, s.retentionMs), sweepIdempotencyKeys(app.db)])
      .then(([swept, idempotencyKeys]) => {
        if (swept.deliveries + swept.events + swept.dead_jobs + idempotencyKeys > 0) app.logger.info({ swept: { ...swept, idempotency_keys: idempotencyKeys } }, 'retention sweep');
      })
      .catch((err: Error) => app.logger.error({ err: { message: err.message } }, 'retention sweep failed'))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(run, Math.min(60_000, s.retentionSweepMs));
  const timer = setInterval(run, s.retentionSweepMs);
  first.unref();
  timer.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
