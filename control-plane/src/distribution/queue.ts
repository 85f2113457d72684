import type { Queryable } from '../db/connection.js';
import { enqueue } from '../jobs/queue.js';
import { jobSettings, type JobSettings } from '../jobs/settings.js';

export const PUBLISH_QUEUE = 'distribution.publish';

export interface PublishPayload {
  tenant_id: string;
  /** Set by a failed attempt: connector id to the content hash it took, so retries skip it. */
  took?: Record<string, string>;
  /**
   * This publish's own id, chosen by its first attempt and kept for its retries: the platforms'
   * Idempotency-Key is built from it (see GrantSet).
   */
  publish_id?: string;
  /**
   * Set on the slow retry queued when a publish ran out of attempts (`after`: that publish's id).
   * It is attempted every CLARESIA_PUBLISH_RECOVERY_MS for as long as a connector is connected,
   * opening a request of its own when none is pending, so whoever polls sees it and a success
   * completes it.
   */
  recovery?: { after: string | null };
}

/**
 * Queues a publish of the tenant's grants in the caller's transaction. A tenant's publishes run
 * one at a time (keyed by tenant), and a publish drops those queued behind it: it sends the full
 * current set, which covers every change committed before it started.
 */
export function queuePublish(db: Queryable, tenantId: string): Promise<number> {
  const payload: PublishPayload = { tenant_id: tenantId };
  return enqueue(db, PUBLISH_QUEUE, payload, { key: tenantId, tenantId, maxAttempts: jobSettings().publishMaxAttempts });
}

// No limit: the slow retry goes on while a connector is connected (it stops by itself once none
// is), and one attempt per CLARESIA_PUBLISH_RECOVERY_MS costs nothing worth a cap. int4's top.
const NO_ATTEMPT_LIMIT = 2_147_483_647;

/**
 * Queues the slow retry of a publish that ran out of attempts, `publishRecoveryMs` from now, in
 * the caller's transaction. It shares the tenant's key with every publish: it never runs beside
 * one, and any publish queued ahead of it drops it (that one covers it; if it gives up in turn,
 * it queues the next slow retry).
 */
export function queueRecovery(db: Queryable, tenantId: string, after: string | null, s: Pick<JobSettings, 'publishRecoveryMs'>): Promise<number> {
  const payload: PublishPayload = { tenant_id: tenantId, recovery: { after } };
  return enqueue(db, PUBLISH_QUEUE, payload, { key: tenantId, tenantId, delayMs: s.publishRecoveryMs, maxAttempts: NO_ATTEMPT_LIMIT });
}
