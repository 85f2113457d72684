import type { Queryable } from '../db/connection.js';
import { constantTimeEqual, hashSecret } from '../crypto/secrets.js';

export interface ServiceAccountRow {
  id: string;
  tenant_id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Checks client credentials; undefined when they do not match a live account of a live tenant. */
export async function checkClientCredentials(db: Queryable, clientId: string, clientSecret: string): Promise<ServiceAccountRow | undefined> {
  const row = (await db('service_accounts')
    .join('tenants', 'tenants.id', 'service_accounts.tenant_id')
    .where('service_accounts.client_id', clientId)
    .whereNull('service_accounts.revoked_at')
    .whereNot('tenants.status', 'offboarded')
    .first('service_accounts.*')) as ServiceAccountRow | undefined;
  // Compare even when the account is missing so timing does not tell which ids exist.
  const ok = constantTimeEqual(row?.secret_hash ?? '', hashSecret(clientSecret));
  return row && ok ? row : undefined;
}

export async function revokeAllTenantSessions(db: Queryable, tenantId: string): Promise<number> {
  return db('auth_sessions').where({ tenant_id: tenantId }).whereNull('revoked_at').andWhere('expires_at', '>', new Date()).update({ revoked_at: new Date() });
}
