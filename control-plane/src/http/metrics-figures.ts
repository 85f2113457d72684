import { rawRows, type Db } from '../db/connection.js';

export interface QueueRow {
  queue: string;
  ready: number;
  oldest_ready_seconds: number | null;
  running: number;
  retrying: number;
  dead: number;
}

export interface WebhookFigures {
  pending: number;
  retrying: number;
  failed: number;
  oldest_retrying_seconds: number | null;
}

export interface DistributionFigures {
  pending: number;
  failed: number;
  oldest_pending_seconds: number | null;
}

export interface ConnectorRow {
  platform: string;
  status: string;
  n: number;
  publish_failing: number;
}

export interface HubRow {
  mode: string;
  status: string;
  n: number;
}

export interface HubLinkFigures {
  failing: number;
  oldest_check_seconds: number | null;
}

export interface AuditFigures {
  verified: number;
  broken: number;
  last_verified: number | null;
  last_broken: number | null;
}

/** What a scrape reads of the database, all in one statement. */
export interface Figures {
  queues: QueueRow[];
  webhooks: WebhookFigures;
  distribution: DistributionFigures;
  connectors: ConnectorRow[];
  hubs: HubRow[];
  hub_links: HubLinkFigures;
  audit: AuditFigures;
}

// An offboarded tenant's leftovers (deliveries failed at offboarding, connectors failed with
// their credential erased) are not something to page anyone about.
const LIVE = `JOIN tenants t ON t.id = x.tenant_id AND t.status <> 'offboarded'`;
const DUE = `((status = 'queued' AND run_after <= now()) OR (status = 'running' AND locked_until < now()))`;
const seconds = (expr: string) => `extract(epoch FROM ${expr})::float8`;

/**
 * Each part is a JSON value so that one statement (one pool connection, one round trip) carries
 * every figure: a scrape while the pool is short takes one connection, once.
 *
 * - queues: per queue, due jobs no worker holds (a dead worker's lapsed lease counts: it is due
 *   again), how long the oldest has been due, jobs under a live lease, jobs waiting to retry
 *   after a failure, dead jobs (out of attempts; kept until retention).
 * - webhooks: deliveries not yet made, those of them whose last attempt failed, deliveries failed
 *   for good (kept until retention), and how long the oldest failing one has been going: its
 *   retries end at the horizon after the event (or the admin's redelivery).
 * - distribution: publish requests waiting, failed (kept: the count only grows), the oldest wait.
 * - connectors and hubs: counts by platform or mode and status; connectors whose last publish
 *   failed (the next success clears it).
 * - hub_links: ready Mode C Hubs whose last link re-check failed (a failed check leaves the Hub
 *   ready, so the counts by status do not show it), and how long ago the least recently checked
 *   of them was checked: growing past the check period means no monitor pass gets through.
 * - audit: tenants whose recorded chain verification checked out or found a break, and when the
 *   latest of each was recorded.
 */
export const FIGURES_SQL = `
  SELECT
    (SELECT COALESCE(json_agg(q), '[]'::json) FROM (
       SELECT queue,
              count(*) FILTER (WHERE ${DUE})::int AS ready,
              ${seconds(`now() - min(CASE WHEN status = 'queued' THEN run_after ELSE locked_until END) FILTER (WHERE ${DUE})`)} AS oldest_ready_seconds,
              count(*) FILTER (WHERE status = 'running' AND locked_until >= now())::int AS running,
              count(*) FILTER (WHERE status = 'queued' AND attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE status = 'dead')::int AS dead
         FROM jobs GROUP BY queue) q) AS queues,
    (SELECT row_to_json(w) FROM (
       SELECT count(*) FILTER (WHERE x.status = 'pending')::int AS pending,
              count(*) FILTER (WHERE x.status = 'pending' AND x.attempts > 0)::int AS retrying,
              count(*) FILTER (WHERE x.status = 'failed')::int AS failed,
              ${seconds(`now() - min(COALESCE(x.redelivered_at, x.created_at)) FILTER (WHERE x.status = 'pending' AND x.attempts > 0)`)} AS oldest_retrying_seconds
         FROM webhook_deliveries x ${LIVE}
        WHERE x.status IN ('pending', 'failed')) w) AS webhooks,
    (SELECT row_to_json(r) FROM (
       SELECT count(*) FILTER (WHERE x.status = 'pending')::int AS pending,
              count(*) FILTER (WHERE x.status = 'failed')::int AS failed,
              ${seconds(`now() - min(COALESCE(x.changed_at, x.requested_at)) FILTER (WHERE x.status = 'pending')`)} AS oldest_pending_seconds
         FROM distribution_requests x ${LIVE}
        WHERE x.status IN ('pending', 'failed')) r) AS distribution,
    (SELECT COALESCE(json_agg(c), '[]'::json) FROM (
       SELECT x.platform, x.status, count(*)::int AS n, count(*) FILTER (WHERE x.last_publish_error IS NOT NULL)::int AS publish_failing
         FROM llm_connectors x ${LIVE}
        GROUP BY x.platform, x.status) c) AS connectors,
    (SELECT COALESCE(json_agg(h), '[]'::json) FROM (
       SELECT x.mode, x.status, count(*)::int AS n
         FROM hubs x ${LIVE}
        WHERE x.deleted_at IS NULL
        GROUP BY x.mode, x.status) h) AS hubs,
    (SELECT row_to_json(l) FROM (
       SELECT count(*) FILTER (WHERE x.link_error IS NOT NULL)::int AS failing,
              ${seconds('now() - min(COALESCE(x.link_checked_at, x.ready_at))')} AS oldest_check_seconds
         FROM hubs x ${LIVE}
        WHERE x.deleted_at IS NULL AND x.mode = 'C' AND x.status = 'ready') l) AS hub_links,
    (SELECT row_to_json(a) FROM (
       SELECT count(*) FILTER (WHERE x.broken_reason IS NULL AND x.verified_at IS NOT NULL)::int AS verified,
              count(*) FILTER (WHERE x.broken_reason IS NOT NULL)::int AS broken,
              ${seconds('max(x.verified_at)')} AS last_verified,
              ${seconds('max(x.broken_at)')} AS last_broken
         FROM audit_verified x ${LIVE}) a) AS audit`;

/** PGlite hands json back parsed, as pg does; a driver that does not gives the text. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/**
 * Reads the figures with a limit the server enforces: a scrape that stops waiting does not stop
 * a query, and one stuck behind a lock (a migration's ALTER TABLE, a VACUUM FULL) would keep its
 * pool connection for as long as the lock is held. SET LOCAL ends with the transaction, so the
 * pooled connection goes back with its usual settings.
 */
export async function readFigures(db: Db, timeoutMs: number): Promise<Figures> {
  const result = await db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    return trx.raw(FIGURES_SQL);
  });
  const [row] = rawRows<Record<keyof Figures, unknown>>(result);
  if (!row) throw new Error('the figures query answered no row');
  return {
    queues: json(row.queues),
    webhooks: json(row.webhooks),
    distribution: json(row.distribution),
    connectors: json(row.connectors),
    hubs: json(row.hubs),
    hub_links: json(row.hub_links),
    audit: json(row.audit),
  };
}
