import type { Queryable } from '../db/connection.js';
import { ApiError } from '../http/errors.js';

/**
 * Refuses a sign-in through a connection of an offboarded tenant. Sign-in is anonymous until
 * the IdP vouches for someone, so no token check stands in front of it: it must look at the
 * tenant itself where it begins and where it ends. `lock` (inside the transaction that would
 * issue the token) makes a concurrent offboarding wait for this sign-in or this sign-in wait
 * for it, so no token is issued after the tenant's sessions were revoked.
 */
export async function refuseOffboardedTenant(db: Queryable, tenantId: string, field: string, lock = false): Promise<void> {
  let q = db('tenants').where({ id: tenantId }).first('status');
  if (lock) q = q.forShare();
  const row = (await q) as { status: string } | undefined;
  if (!row || row.status === 'offboarded') throw new ApiError(403, 'tenant_offboarded', "sign-in refused: this connection's tenant has been offboarded", field);
}
