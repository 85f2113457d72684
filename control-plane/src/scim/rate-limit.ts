import type { Db } from '../db/connection.js';
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

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function rateLimitFrom(configured: Partial<ScimRateLimit> | undefined, env: NodeJS.ProcessEnv = process.env): ScimRateLimit {
  return {
    sustainedPerSecond: configured?.sustainedPerSecond ?? positive(env, 'CLARESIA_SCIM_RATE_PER_SECOND') ?? DEFAULT_RATE_LIMIT.sustainedPerSecond,
    burstPerSecond: configured?.burstPerSecond ?? positive(env, 'CLARESIA_SCIM_RATE_BURST') ?? DEFAULT_RATE_LIMIT.burstPerSecond,
    windowSeconds: configured?.windowSeconds ?? positive(env, 'CLARESIA_SCIM_RATE_WINDOW_SECONDS') ?? DEFAULT_RATE_LIMIT.windowSeconds,
  };
}

export interface RateDecision {
  /** Requests left in the window after this one. */
  remaining: number;
}

export async function takeRequest(db: Db, tenantId: string, limit: ScimRateLimit, nowMs = Date.now()): Promise<RateDecision> {
  const second = Math.floor(nowMs / 1000);
  const from = second - limit.windowSeconds;
  const res = await db.raw(
    `WITH up AS (
       INSERT INTO scim_rate_counters (tenant_id, second, n) VALUES (?, ?, 1)
       ON CONFLICT (tenant_id, second) DO UPDATE SET n = scim_rate_counters.n + 1
       RETURNING n
     )
     SELECT (SELECT n FROM up) AS current,
            (SELECT COALESCE(SUM(n), 0) FROM scim_rate_counters WHERE tenant_id = ? AND second > ? AND second < ?) AS earlier,
            (SELECT MIN(second) FROM scim_rate_counters WHERE tenant_id = ? AND second > ? AND second < ? AND n > 0) AS oldest`,
    [tenantId, second, tenantId, from, second, tenantId, from, second],
  );
  const row = res.rows[0] as { current: number | string; earlier: number | string; oldest: number | string | null };
  const current = Number(row.current);
  const total = current + Number(row.earlier);
  const budget = limit.sustainedPerSecond * limit.windowSeconds;
  if (current === 1) {
    // First request of this second: drop this tenant's counters that no window can reach any more.
    await db('scim_rate_counters').where('tenant_id', tenantId).andWhere('second', '<=', from - 60).delete();
  }
  if (current <= limit.burstPerSecond && total <= budget) return { remaining: budget - total };
  // A refused request does not spend budget, so a client that waits as told gets through.
  await db('scim_rate_counters').where({ tenant_id: tenantId, second }).decrement('n', 1);
  let retryAfter = 1;
  if (current <= limit.burstPerSecond) {
    const oldest = row.oldest === null ? second : Number(row.oldest);
    retryAfter = Math.max(1, oldest + limit.windowSeconds - second);
  }
  throw new ScimError(429, undefined, `too many requests for this tenant; retry after ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
}
