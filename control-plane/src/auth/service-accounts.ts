import type { Queryable } from '../db/connection.js';
import { constantTimeEqual, hashSecret, newSecret } from '../crypto/secrets.js';
import { overlapEnd } from './credential-overlap.js';
import { revokeSessionsOf } from './tokens.js';

export interface ServiceAccountRow {
  id: string;
  tenant_id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  /** The secret the last rotation replaced, accepted until previous_secret_expires_at. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  revoked_at: Date | null;
}

/** Which of an account's secrets a token request was made with. */
export type MatchedSecret = 'current' | 'previous';

/**
 * Checks client credentials; undefined when they do not match a live account of a live tenant.
 * The secret a rotation replaced matches too while its overlap lasts (by the database clock).
 */
export async function checkClientCredentials(db: Queryable, clientId: string, clientSecret: string): Promise<(ServiceAccountRow & { matched: MatchedSecret }) | undefined> {
  const row = (await db('service_accounts')
    .join('tenants', 'tenants.id', 'service_accounts.tenant_id')
    .where('service_accounts.client_id', clientId)
    .whereNull('service_accounts.revoked_at')
    .whereNot('tenants.status', 'offboarded')
    .first('service_accounts.*', db.raw('coalesce(service_accounts.previous_secret_expires_at > now(), false) AS previous_live'))) as (ServiceAccountRow & { previous_live: boolean }) | undefined;
  // Both comparisons run whether or not the account exists or has a previous secret, so timing
  // tells neither which ids exist nor whether a rotation is under way.
  const hashed = hashSecret(clientSecret);
  const current = constantTimeEqual(row?.secret_hash ?? '', hashed);
  const previous = constantTimeEqual(row?.previous_secret_hash ?? '', hashed);
  if (!row) return undefined;
  const { previous_live, ...account } = row;
  if (current) return { ...account, matched: 'current' };
  if (previous && previous_live && row.previous_secret_hash) return { ...account, matched: 'previous' };
  return undefined;
}

/**
 * Gives the account a new client secret, returned once. With an overlap the secret it replaces
 * keeps working until the overlap ends; with 0 it stops at commit. Only the secret just replaced
 * is kept: rotating again during an overlap ends the older one's at once.
 *
 * 0 is the rotation for a leaked secret, so it also revokes every token the account holds: a JWT
 * minted with the leaked secret would otherwise keep its role for its whole TTL, and could rotate
 * the secret again or create another account, outliving the rotation. An overlap keeps them, as
 * the clients still switching rely on theirs. `sessionsRevoked` is undefined when none are revoked
 * by design (an overlap), a count otherwise.
 */
export async function rotateClientSecret(db: Queryable, account: Pick<ServiceAccountRow, 'id' | 'tenant_id' | 'secret_hash'>, overlapSeconds: number) {
  const clientSecret = newSecret('cs');
  const [row] = (await db('service_accounts')
    .where({ id: account.id, tenant_id: account.tenant_id })
    .update({
      secret_hash: hashSecret(clientSecret),
      previous_secret_hash: overlapSeconds > 0 ? account.secret_hash : null,
      previous_secret_expires_at: overlapEnd(db, overlapSeconds),
    })
    .returning(['previous_secret_expires_at'])) as Array<{ previous_secret_expires_at: Date | null }>;
  const sessionsRevoked = overlapSeconds > 0 ? undefined : await revokeSessionsOf(db, account.tenant_id, 'service_account', account.id);
  return { clientSecret, previousSecretExpiresAt: row!.previous_secret_expires_at, sessionsRevoked };
}

export async function revokeAllTenantSessions(db: Queryable, tenantId: string): Promise<number> {
  return db('auth_sessions').where({ tenant_id: tenantId }).whereNull('revoked_at').andWhere('expires_at', '>', new Date()).update({ revoked_at: new Date() });
}
