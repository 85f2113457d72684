import type { Queryable } from '../db/connection.js';
import { enqueue } from '../jobs/queue.js';
import { jobSettings } from '../jobs/settings.js';

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
