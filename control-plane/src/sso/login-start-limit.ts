import type { TenantScope } from '../db/tenant-scope.js';
import { integerEnv } from '../env-number.js';

declare module '../config.js' {
  interface Config {
    /** Anonymous sign-in starts a connection keeps pending from the last minute; CLARESIA_SSO_LOGIN_STARTS_PER_MINUTE otherwise. */
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
 * Refusing starts beyond a count would let anyone who knows the (public) login URL lock every
 * user of the tenant out, so the count bounds storage instead: when the connection already has
 * `limit` sign-ins begun in the last minute and not completed, the oldest of them are forgotten
 * to make room. A state is only a nonce; a person whose state was forgotten starts again. States
 * older than a minute are never taken, so a flood cannot cut short a sign-in already under way at
 * the IdP for longer than that. The caller holds the connection row locked, so concurrent starts
 * make room one after the other, on every replica. Returns how many states were forgotten.
 */
export async function makeRoomForLoginStart(scope: TenantScope, connectionId: string, limit: number, now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - 60_000);
  const beyond = scope
    .table('sso_login_states')
    .where({ connection_id: connectionId, purpose: 'login' })
    .andWhere('created_at', '>', since)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .offset(limit - 1)
    .select('id');
  return scope.table('sso_login_states').whereIn('id', beyond).delete();
}
