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

const lifecycleKey = (tenantId: string) => `tenant-lifecycle:${tenantId}`;

/**
 * Taken by offboarding, first, for the rest of its transaction: a write that checked the tenant
 * outside its own transaction (telemetry authenticates before its write opens) and holds
 * lockTenantOpen waits for the offboarding to commit or lets it wait, never straddles it. An
 * advisory lock rather than a share lock on the tenant row: every telemetry event would take
 * one, and concurrent share locks on one row make PostgreSQL create MultiXacts.
 */
export async function lockTenantLifecycle(db: Queryable, tenantId: string): Promise<void> {
  await db.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [lifecycleKey(tenantId)]);
}

/** Holds off an offboarding for the rest of the caller's transaction; says whether it already happened. */
export async function lockTenantOpen(db: Queryable, tenantId: string): Promise<boolean> {
  await db.raw('SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))', [lifecycleKey(tenantId)]);
  const row = (await db('tenants').where({ id: tenantId }).first('status')) as { status: string } | undefined;
  return !!row && row.status !== 'offboarded';
}
