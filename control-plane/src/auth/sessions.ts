import type { Queryable } from '../db/connection.js';

/** Notes which SSO connection vouched for the user a session was issued to. */
export async function linkSessionToConnection(trx: Queryable, tenantId: string, jti: string, connectionId: string): Promise<void> {
  await trx('auth_sessions').where({ tenant_id: tenantId, jti }).update({ connection_id: connectionId });
}

/**
 * Revokes the live sessions a connection issued: once the IdP it trusted is gone or replaced, what
 * that IdP vouched for must not outlive it by a token's lifetime.
 */
export async function revokeSessionsOfConnection(trx: Queryable, tenantId: string, connectionId: string): Promise<number> {
  return trx('auth_sessions')
    .where({ tenant_id: tenantId, connection_id: connectionId })
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', new Date())
    .update({ revoked_at: new Date() });
}
