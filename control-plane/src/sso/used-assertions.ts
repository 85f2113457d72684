import { createHash } from 'node:crypto';
import type { TenantScope } from '../db/tenant-scope.js';
import type { AcceptedAssertion } from './saml.js';

const TABLE = 'sso_used_assertions';

/** How long past its end a record outlives its assertion: more than replicas' clocks may differ. */
const PURGE_MARGIN = "interval '5 minutes'";

/**
 * Records that a connection accepted an assertion; false when it was accepted before. The
 * unsigned Response around a signed assertion can be rebuilt to answer any new request when the
 * IdP does not name the request inside the assertion, so the assertion itself must be used once.
 * The unique key makes a concurrent redemption of the same assertion wait for the first and then
 * find it taken. Records past their assertion's validity are dropped as new ones are written,
 * by the database's clock and a margin: each replica's node-saml judges validity by its own
 * clock, so a replica whose clock is behind the purging one's must still find the record.
 */
export async function redeemAssertion(scope: TenantScope, connectionId: string, assertion: AcceptedAssertion, now = new Date()): Promise<boolean> {
  await scope.table(TABLE).where({ connection_id: connectionId }).andWhere('expires_at', '<', scope.db.raw(`now() - ${PURGE_MARGIN}`)).delete();
  const hash = createHash('sha256').update(assertion.id, 'utf8').digest('hex');
  const inserted = (await scope.db(TABLE)
    .insert({ tenant_id: scope.tenantId, connection_id: connectionId, assertion_hash: hash, used_at: now, expires_at: assertion.expiresAt })
    .onConflict(['connection_id', 'assertion_hash'])
    .ignore()
    .returning('assertion_hash')) as unknown[];
  return inserted.length === 1;
}
