import { prepared, type Db } from '../db/connection.js';
import { integerEnv } from '../env-number.js';
import { noteRateLimited } from '../http/rate-limit.js';
import { ScimError } from './errors.js';

/**
 * Requests per tenant, counted in PostgreSQL so every replica enforces the same budget: one
 * counter row per tenant per second, bumped by an atomic upsert. A request is refused when its
 * second already saw `burstPerSecond` requests, or the last `windowSeconds` together saw more
 * than `sustainedPerSecond * windowSeconds` (100/s sustained, 1000/s burst over 10 s by default).
 */
export interface ScimRateLimit {
  sustainedPerSecond: number;
  burstPerSecond: number;
  windowSeconds: number;
}

export const DEFAULT_RATE_LIMIT: ScimRateLimit = { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 };

declare module '../config.js' {
  interface Config {
    /** SCIM request budget per tenant; CLARESIA_SCIM_RATE_* environment variables otherwise. */
    scimRateLimit?: Partial<ScimRateLimit>;
  }
}

export function rateLimitFrom(configured: Partial<ScimRateLimit> | undefined, env: NodeJS.ProcessEnv = process.env): ScimRateLimit {
  return {
    sustainedPerSecond: configured?.sustainedPerSecond ?? integerEnv(env, 'CLARESIA_SCIM_RATE_PER_SECOND', DEFAULT_RATE_LIMIT.sustainedPerSecond, 1),
    burstPerSecond: configured?.burstPerSecond ?? integerEnv(env, 'CLARESIA_SCIM_RATE_BURST', DEFAULT_RATE_LIMIT.burstPerSecond, 1),
    windowSeconds: configured?.windowSeconds ?? integerEnv(env, 'CLARESIA_SCIM_RATE_WINDOW_SECONDS', DEFAULT_RATE_LIMIT.windowSeconds, 1),
  };
}

export interface RateDecision {
  /** Requests left in the window after this one. */
  remaining: number;
}

interface CounterRow {
  current: number | string | null;
  earlier: number | string | null;
  oldest: number | string | null;
}

// The counter upsert and the window sums in one statement (the upsert's own row is not visible
// to the sums, so they cover the earlier seconds only). The statement commits without waiting
// for its WAL to reach disk: every request of a tenant bumps the same row, and each would hold it
// through an fsync; a crash can forget the last fraction of a second of counts, which only
// errs towards admitting a few more requests.
const COUNT_SQL = (source: string) => `
  async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
  up AS (
    INSERT INTO scim_rate_counters (tenant_id, second, n) SELECT t.tenant_id, ?, ? FROM ${source} t
    ON CONFLICT (tenant_id, second) DO UPDATE SET n = scim_rate_counters.n + EXCLUDED.n
    RETURNING tenant_id, n
  )`;
const SUMS_SQL = `
  (SELECT n FROM up) AS current,
  (SELECT COALESCE(SUM(c.n), 0) FROM scim_rate_counters c WHERE c.tenant_id = (SELECT tenant_id FROM up) AND c.second > ? AND c.second < ?) AS earlier,
  (SELECT MIN(c.second) FROM scim_rate_counters c WHERE c.tenant_id = (SELECT tenant_id FROM up) AND c.second > ? AND c.second < ? AND c.n > 0) AS oldest`;

async function decide(db: Db, tenantId: string, limit: ScimRateLimit, second: number, row: CounterRow): Promise<RateDecision> {
  const from = second - limit.windowSeconds;
  const current = Number(row.current);
  const total = current + Number(row.earlier);
  const budget = limit.sustainedPerSecond * limit.windowSeconds;
  if (current === 1) {
    // First request of this second: drop this tenant's counters that no window can reach any more.
    await db('scim_rate_counters').where('tenant_id', tenantId).andWhere('second', '<=', from - 60).delete();
  }
  if (current <= limit.burstPerSecond && total <= budget) return { remaining: budget - total };
  await refund(db, tenantId, second);
  noteRateLimited(db, 'scim');
  let retryAfter = 1;
  if (current <= limit.burstPerSecond) {
    const oldest = row.oldest === null ? second : Number(row.oldest);
    retryAfter = Math.max(1, oldest + limit.windowSeconds - second);
  }
  throw new ScimError(429, undefined, `too many requests for this tenant; retry after ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
}

/** A request that was counted but refused (over the limit, or from outside the allowlist) spends nothing. */
export async function refund(db: Db, tenantId: string, second: number): Promise<void> {
  await db('scim_rate_counters').where({ tenant_id: tenantId, second }).decrement('n', 1);
}

export async function takeRequest(db: Db, tenantId: string, limit: ScimRateLimit, nowMs = Date.now()): Promise<RateDecision> {
  const second = Math.floor(nowMs / 1000);
  const from = second - limit.windowSeconds;
  const res = await db.raw(`WITH src AS (SELECT ?::text AS tenant_id), ${COUNT_SQL('src')} SELECT ${SUMS_SQL} FROM async_commit`, [tenantId, second, 1, from, second, from, second]);
  return decide(db, tenantId, limit, second, res.rows[0] as CounterRow);
}

export interface Gate<D> {
  directory: D;
  second: number;
  /** This request's decision: its remaining budget, or a 429 (refunded) when over the limit. */
  take: () => Promise<RateDecision>;
}

/** How often a directory's `last_request_at` is stamped at most: health judges freshness in hours. */
export const LAST_REQUEST_RESOLUTION_SECONDS = 60;

/**
 * Stamps the directory's last authenticated request when the stamp is older than the
 * resolution, so a directory's row is written about once a minute however busy its IdP is. A
 * row another transaction holds (a token rotation) is skipped rather than waited for: the next
 * request stamps it.
 */
const SEEN_SQL = `
  seen AS (
    UPDATE scim_directories SET last_request_at = now()
    WHERE id IN (
      SELECT s.id FROM scim_directories s WHERE s.id = (SELECT id FROM d)
        AND (s.last_request_at IS NULL OR s.last_request_at < now() - (? * interval '1 second'))
      FOR NO KEY UPDATE SKIP LOCKED)
    RETURNING id
  )`;

/**
 * The directory a bearer token opens, and `count` requests counted against its tenant, in one
 * round trip: every SCIM request pays for this, so it is one statement rather than two, and
 * requests arriving together share it. Each request is decided as if they had come one after
 * the other. Returns undefined (and counts nothing) when the token is not this directory's.
 * A directory of an offboarded tenant opens nothing (401, counted and stamped nowhere): its IdP
 * may go on sending until someone removes the app there. The token a rotation replaced opens the
 * directory too until its overlap ends (by the database clock); the row is found by its primary
 * key either way, and the hashes compared on that one row, so the overlap costs no extra lookup.
 */
export async function authenticateAndTake<D>(db: Db, directoryId: string, tokenHash: string, limit: ScimRateLimit, count = 1, nowMs = Date.now()): Promise<Array<Gate<D>> | undefined> {
  const second = Math.floor(nowMs / 1000);
  const from = second - limit.windowSeconds;
  // Data-modifying CTEs run whether or not the outer query reads them (the counter and the stamp).
  const res = await prepared(
    db.raw(
      `WITH a AS (
         SELECT sd.*, t.status AS tenant_status FROM scim_directories sd JOIN tenants t ON t.id = sd.tenant_id
         WHERE sd.id = ? AND (sd.token_hash = ? OR (sd.previous_token_hash = ? AND sd.previous_token_expires_at > now()))),
       d AS (SELECT * FROM a WHERE tenant_status <> 'offboarded'),
       ${SEEN_SQL}, ${COUNT_SQL('d')}
       SELECT to_jsonb(a.*) AS directory, ${SUMS_SQL} FROM a, async_commit`,
      [directoryId, tokenHash, tokenHash, LAST_REQUEST_RESOLUTION_SECONDS, second, count, from, second, from, second],
    ),
  );
  const row = res.rows[0] as (CounterRow & { directory: D | string }) | undefined;
  if (!row) return undefined;
  const directory = (typeof row.directory === 'string' ? JSON.parse(row.directory) : row.directory) as D & { tenant_id: string; tenant_status: string };
  if (directory.tenant_status === 'offboarded') {
    throw new ScimError(401, undefined, "this SCIM directory's tenant has been offboarded; remove the Claresia app from the IdP", { 'WWW-Authenticate': 'Bearer realm="scim", error="invalid_token"' });
  }
  const last = Number(row.current);
  return Array.from({ length: count }, (_, i) => ({
    directory,
    second,
    take: () => decide(db, directory.tenant_id, limit, second, { ...row, current: last - (count - 1 - i) }),
  }));
}
