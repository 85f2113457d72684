import type { TenantScope } from '../db/tenant-scope.js';
import { integerEnv } from '../env-number.js';
import { ApiError } from '../http/errors.js';

declare module '../config.js' {
  interface Config {
    /** Anonymous sign-in starts a connection may have pending from the last minute; CLARESIA_SSO_LOGIN_STARTS_PER_MINUTE otherwise. */
    ssoLoginStartsPerMinute?: number;
  }
}

/**
 * Generous for a morning rush (a start stops counting as soon as its sign-in completes), small
 * enough that a script cannot fill the table: at most ten minutes' worth (the state's lifetime).
 */
export const DEFAULT_LOGIN_STARTS_PER_MINUTE = 600;

export function loginStartsPerMinute(configured: number | undefined): number {
  return configured ?? integerEnv(process.env, 'CLARESIA_SSO_LOGIN_STARTS_PER_MINUTE', DEFAULT_LOGIN_STARTS_PER_MINUTE, 1);
}

/**
 * Anyone may start a sign-in, and each start stores a state until it is answered or expires.
 * Refuses (429 with Retry-After) a start when the connection already has `limit` sign-ins begun in
 * the last minute and not completed. The caller holds the connection row locked, so concurrent
 * starts are counted one after the other, on every replica.
 */
export async function admitLoginStart(scope: TenantScope, connectionId: string, limit: number, now = new Date()): Promise<void> {
  const since = new Date(now.getTime() - 60_000);
  const [row] = (await scope
    .table('sso_login_states')
    .where({ connection_id: connectionId, purpose: 'login' })
    .andWhere('created_at', '>', since)
    .select(scope.db.raw('count(*) AS n'), scope.db.raw('min(created_at) AS oldest'))) as Array<{ n: number | string; oldest: Date | string | null }>;
  if (Number(row?.n ?? 0) < limit) return;
  const freeAt = new Date(row!.oldest!).getTime() + 60_000;
  const retryAfter = Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
  throw new ApiError(429, 'too_many_login_starts', `too many sign-ins started through this connection in the last minute; retry after ${retryAfter} s`, 'connection_id', {
    'Retry-After': String(retryAfter),
  });
}
