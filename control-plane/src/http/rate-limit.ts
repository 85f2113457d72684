import type { Request } from 'express';
import type { Db } from '../db/connection.js';
import { integerEnv } from '../env-number.js';
import { clientAddress } from './client-address.js';
import { ApiError } from './errors.js';

/**
 * A request budget: at most `burstPerSecond` in any one second, and at most
 * `sustainedPerSecond * windowSeconds` over the last `windowSeconds` seconds.
 */
export interface ApiRateLimit {
  sustainedPerSecond: number;
  burstPerSecond: number;
  windowSeconds: number;
}

/**
 * Who pays for a request. A tenant's service accounts and users share one budget, so a tenant
 * cannot multiply it by minting accounts. The operator token (one, for every tenant an MSP
 * onboards) gets a budget of its own, larger: it is trusted, and a script creating tenants for
 * many customers must not be slowed to one tenant's pace; it is still bounded, so a runaway
 * loop cannot take the database pool. Calls without a token (the token exchange, an SSO sign-in
 * start) and calls whose token did not authenticate pay per client address, with a smaller
 * budget: no legitimate caller needs many of them. A token that authenticated but lacks the
 * right (403) pays from its own budget, and a connector's ingest credential, once matched, from
 * a budget of the tenant's size of its own (modules/telemetry.ts).
 */
export interface ApiRateLimits {
  tenant: ApiRateLimit;
  operator: ApiRateLimit;
  anonymous: ApiRateLimit;
}

/**
 * A Terraform apply at parallelism 10 against a nearby control plane sends at most a few
 * hundred requests a second, and a plan of hundreds of resources is one list request per type;
 * these defaults leave that well inside the budget and stop only a flood.
 */
export const DEFAULT_API_RATE_LIMITS: ApiRateLimits = {
  tenant: { sustainedPerSecond: 200, burstPerSecond: 1000, windowSeconds: 10 },
  operator: { sustainedPerSecond: 500, burstPerSecond: 2000, windowSeconds: 10 },
  anonymous: { sustainedPerSecond: 50, burstPerSecond: 200, windowSeconds: 10 },
};

/** The longest window a budget may have; counters older than this are swept. */
export const MAX_WINDOW_SECONDS = 3600;

export type ApiRateLimitConfig = { [K in keyof ApiRateLimits]?: Partial<ApiRateLimit> };

const ENV_PREFIX: Record<keyof ApiRateLimits, string> = {
  tenant: 'CLARESIA_API_RATE',
  operator: 'CLARESIA_API_OPERATOR_RATE',
  anonymous: 'CLARESIA_API_ANONYMOUS_RATE',
};

/** The configured budgets, else CLARESIA_API_[OPERATOR_|ANONYMOUS_]RATE_{PER_SECOND,BURST,WINDOW_SECONDS}, else the defaults. */
export function apiRateLimitsFrom(configured: ApiRateLimitConfig | undefined, env: NodeJS.ProcessEnv = process.env): ApiRateLimits {
  const one = (who: keyof ApiRateLimits): ApiRateLimit => {
    const c = configured?.[who];
    const d = DEFAULT_API_RATE_LIMITS[who];
    const p = ENV_PREFIX[who];
    return {
      sustainedPerSecond: c?.sustainedPerSecond ?? integerEnv(env, `${p}_PER_SECOND`, d.sustainedPerSecond, 1),
      burstPerSecond: c?.burstPerSecond ?? integerEnv(env, `${p}_BURST`, d.burstPerSecond, 1),
      windowSeconds: c?.windowSeconds ?? integerEnv(env, `${p}_WINDOW_SECONDS`, d.windowSeconds, 1, MAX_WINDOW_SECONDS),
    };
  };
  const limits = { tenant: one('tenant'), operator: one('operator'), anonymous: one('anonymous') };
  for (const [who, l] of Object.entries(limits)) {
    if (!(l.windowSeconds >= 1 && l.windowSeconds <= MAX_WINDOW_SECONDS)) throw new Error(`apiRateLimit.${who}.windowSeconds must be from 1 to ${MAX_WINDOW_SECONDS}`);
  }
  return limits;
}

interface CounterRow {
  current: number | string;
  earlier: number | string;
  oldest: number | string | null;
}

// One round trip per request: the upsert, and the sums of the window's earlier seconds (the
// upsert's own row is not visible to them). Committed without waiting for the WAL to reach
// disk, as SCIM's counters are: every request of a tenant bumps one row, and each would hold it
// through an fsync; a crash can only forget a fraction of a second of counts.
const TAKE_SQL = `
  WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
  up AS (
    INSERT INTO api_rate_counters (bucket, second, n) VALUES (?, ?, ?)
    ON CONFLICT (bucket, second) DO UPDATE SET n = api_rate_counters.n + EXCLUDED.n
    RETURNING n
  )
  SELECT (SELECT n FROM up) AS current,
    (SELECT COALESCE(SUM(c.n), 0) FROM api_rate_counters c WHERE c.bucket = ? AND c.second > ? AND c.second < ?) AS earlier,
    (SELECT MIN(c.second) FROM api_rate_counters c WHERE c.bucket = ? AND c.second > ? AND c.second < ? AND c.n > 0) AS oldest
  FROM async_commit`;

/**
 * The budgets a request can be refused by: the API's (who pays, as above; `connector` is an
 * ingest credential's) and SCIM's per-tenant budget (scim/rate-limit.ts). Bounded on purpose: it
 * is a metric label, so neither a tenant nor an address may become one.
 */
export const RATE_BUDGETS = ['tenant', 'operator', 'anonymous', 'connector', 'scim'] as const;
export type RateBudget = (typeof RATE_BUDGETS)[number];

const BUDGET_OF_BUCKET: Record<string, RateBudget> = { tenant: 'tenant', operator: 'operator', ip: 'anonymous', connector: 'connector' };

/**
 * Who hears of each refusal, per database handle as the leases are: only the process knows how
 * many 429s it answered (the refused request's count is taken back), so the metrics of the app
 * over that database count them as they happen.
 */
const refusalListeners = new WeakMap<Db, Set<(budget: RateBudget) => void>>();

/** Calls `listener` with the budget of every request refused over `db`; returns its removal. */
export function onRateLimited(db: Db, listener: (budget: RateBudget) => void): () => void {
  let set = refusalListeners.get(db);
  if (!set) refusalListeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

export function noteRateLimited(db: Db, budget: RateBudget): void {
  for (const listener of refusalListeners.get(db) ?? []) listener(budget);
}

/** What a counted request may know of its budget: the RateLimit headers of every answer. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the budget has room again (meaningful when remaining is 0). */
  reset: number;
  windowSeconds: number;
}

/** The headers of draft-ietf-httpapi-ratelimit-headers that the shared client reads to pace itself. */
function rateHeaders(s: RateState): Record<string, string> {
  return {
    'RateLimit-Limit': String(s.limit),
    'RateLimit-Remaining': String(s.remaining),
    'RateLimit-Reset': String(s.reset),
    'RateLimit-Policy': `${s.limit};w=${s.windowSeconds}`,
  };
}

/**
 * Requests a replica has counted in PostgreSQL for a bucket and not used yet, this second. A
 * busy bucket would otherwise make every request of the second wait on the same counter row,
 * one after the other (a Terraform apply at parallelism 10 spent a fifth of its time there), so
 * a replica counts a few requests at once and spends them itself. The shared count stays the
 * truth every replica obeys: what one holds unused is already counted, so the replicas
 * together never admit more than the budget, and at worst stop a few requests early.
 */
interface Lease {
  second: number;
  left: number;
  /** The shared remainder when the lease was taken; the lease's own unused requests add to it. */
  shared: number;
  reset: number;
}

const leases = new WeakMap<Db, Map<string, Lease>>();

/** How many requests a replica counts at once: 1 for a small budget, so it stays exact. */
export function leaseSize(limit: ApiRateLimit): number {
  return Math.max(1, Math.min(10, Math.floor(limit.burstPerSecond / 20), Math.floor((limit.sustainedPerSecond * limit.windowSeconds) / 50)));
}

/**
 * Takes one request from `bucket`'s budget and answers what is left; throws a 429 (with
 * Retry-After and the RateLimit headers) when the request is over it. What was counted but not
 * admitted is taken back out of the count, so a caller retrying too early does not push its own
 * wait further out.
 */
export async function takeApiRequest(db: Db, bucket: string, limit: ApiRateLimit, nowMs = Date.now()): Promise<RateState> {
  const second = Math.floor(nowMs / 1000);
  const budget = limit.sustainedPerSecond * limit.windowSeconds;
  let held = leases.get(db);
  if (!held) leases.set(db, (held = new Map()));
  const lease = held.get(bucket);
  if (lease && lease.second === second && lease.left > 0) {
    lease.left--;
    return { limit: budget, remaining: lease.shared + lease.left, reset: lease.reset, windowSeconds: limit.windowSeconds };
  }
  if (held.size > 10_000) {
    // Addresses that came once: their leases ended with their second.
    for (const [b, l] of held) if (l.second < second) held.delete(b);
  }
  const size = leaseSize(limit);
  const from = second - limit.windowSeconds;
  const res = await db.raw(TAKE_SQL, [bucket, second, size, bucket, from, second, bucket, from, second]);
  const row = res.rows[0] as CounterRow;
  const current = Number(row.current);
  if (current === size) {
    // The first count of a second drops this bucket's seconds no window reaches any more, and
    // any bucket's older than the longest window: an address or a credential may never come
    // back to clear its own.
    await db('api_rate_counters')
      .where((q) => q.where('bucket', bucket).andWhere('second', '<=', from))
      .orWhere('second', '<', second - MAX_WINDOW_SECONDS)
      .delete();
  }
  const before = current - size;
  const total = before + Number(row.earlier);
  // Of the requests just counted, those within both the second's burst and the window's budget.
  const usable = Math.max(0, Math.min(size, limit.burstPerSecond - before, budget - total));
  if (usable < size) await db('api_rate_counters').where({ bucket, second }).decrement('n', size - usable);
  const burstLeft = limit.burstPerSecond - before - usable;
  const windowLeft = budget - total - usable;
  // Room comes back at the next second for the burst, and when the oldest counted second
  // leaves the window for the sustained budget.
  const oldest = row.oldest === null ? second : Number(row.oldest);
  const windowReset = Math.max(1, oldest + limit.windowSeconds - second);
  const reset = windowLeft <= burstLeft ? windowReset : 1;
  if (usable > 0) {
    const shared = Math.max(0, Math.min(burstLeft, windowLeft));
    held.set(bucket, { second, left: usable - 1, shared, reset });
    return { limit: budget, remaining: shared + usable - 1, reset, windowSeconds: limit.windowSeconds };
  }
  held.delete(bucket);
  noteRateLimited(db, BUDGET_OF_BUCKET[bucket.split(':', 1)[0]!] ?? 'anonymous');
  const retryAfter = limit.burstPerSecond - before <= 0 ? 1 : windowReset;
  throw new ApiError(429, 'rate_limited', `too many requests; retry after ${retryAfter} s`, undefined, {
    'Retry-After': String(retryAfter),
    ...rateHeaders({ limit: budget, remaining: 0, reset: retryAfter, windowSeconds: limit.windowSeconds }),
  });
}

/**
 * Who pays for a request (see ApiRateLimits): its client address, the operator, a tenant, or a
 * connector's ingest credential, which has a budget of a tenant's size of its own.
 */
export type Payer = 'address' | 'operator' | { tenant: string } | { connector: string };

/**
 * Each app's budgets, read from its config and the environment once: the router and the routes
 * mounted beside it (the OIDC callback) then spend from the same budgets, and an environment
 * changed after start cannot give one of them another.
 */
const budgetsOf = new WeakMap<object, ApiRateLimits>();

/** The budgets of the app with this config; the first call reads them and throws on a bad value. */
export function apiRateLimitsOf(config: { apiRateLimit?: ApiRateLimitConfig }): ApiRateLimits {
  let limits = budgetsOf.get(config);
  if (!limits) budgetsOf.set(config, (limits = apiRateLimitsFrom(config.apiRateLimit)));
  return limits;
}

/**
 * Spends one request of `payer`'s budget and puts the RateLimit headers on the answer, so the
 * client paces itself before it is refused; over budget, throws the 429 (Retry-After and the
 * RateLimit headers), which the app's error handler answers, counted by onRateLimited.
 */
export async function spendRequest(
  app: { db: Db; config: { apiRateLimit?: ApiRateLimitConfig } },
  req: Pick<Request, 'ip' | 'socket'>,
  res: { setHeader(name: string, value: string): unknown },
  payer: Payer,
): Promise<void> {
  const limits = apiRateLimitsOf(app.config);
  const [bucket, limit] =
    payer === 'address'
      ? [`ip:${clientAddress(req)}`, limits.anonymous]
      : payer === 'operator'
        ? ['operator', limits.operator]
        : 'tenant' in payer
          ? [`tenant:${payer.tenant}`, limits.tenant]
          : [`connector:${payer.connector}`, limits.tenant];
  const state = await takeApiRequest(app.db, bucket, limit);
  for (const [k, v] of Object.entries(rateHeaders(state))) res.setHeader(k, v);
}
