import type { TenantScope } from '../db/tenant-scope.js';

/**
 * Serialises one tenant's entitlement writes (applying or removing a pack, writing or removing
 * an archetype set) for the rest of the caller's transaction. Each of them reads the applied
 * packs and the sets, decides, then writes; two at once would decide on the same reading, so
 * both would insert the same pack or archetype row (a unique violation), or recompute the sets
 * without the other's pack. Row locks cannot do it: the row may not exist yet. Other tenants
 * are not held up.
 */
export async function lockEntitlements(scope: TenantScope): Promise<void> {
  await scope.db.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`skill-entitlements:${scope.tenantId}`]);
}
