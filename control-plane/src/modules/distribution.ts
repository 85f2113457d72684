import { queuePublish } from '../distribution/queue.js';
import '../distribution/publisher.js';
import '../distribution/triggers.js';
import type { Module } from './module.js';

/**
 * The distribution plane: publishing each tenant's (user, skill) grants to its connected
 * platforms. Requests come from skills/entitlements.ts requestRepublish (which queues the job in
 * the requester's transaction); the job is defined in distribution/publisher.ts.
 */
export const distributionModule: Module = {
  name: 'distribution',
  async start(app) {
    // Requests written before the queue existed (or by a version without it) still get published.
    const tenants = (await app.db('distribution_requests').where('status', 'pending').distinct('tenant_id')) as Array<{ tenant_id: string }>;
    if (tenants.length) {
      await app.db.transaction(async (trx) => {
        for (const t of tenants) await queuePublish(trx, t.tenant_id);
      });
    }
    return async () => {};
  },
};
