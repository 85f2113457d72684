import type { TenantScope } from '../db/tenant-scope.js';
import { conflict } from '../http/errors.js';
import { enqueue } from '../jobs/queue.js';
import { DELIVER_QUEUE, type DeliverPayload } from './events.js';
import { DELIVERIES, loadDelivery, type DeliveryRow } from './deliveries.js';
import type { WebhookRow } from './store.js';

/**
 * Sends a finished delivery (failed, or delivered to a receiver that lost it) again: the same
 * event id, to the webhook's current URL, signed with its current secrets when it goes out.
 * It is pending again with a fresh count of attempts, retried like any delivery for the
 * horizon counted from now. One still pending is already being retried, so it is refused
 * rather than sent twice at once; so is one of a disabled webhook, which gets nothing until
 * it is active again.
 */
export async function redeliver(scope: TenantScope, hook: WebhookRow, deliveryId: string, now: Date): Promise<DeliveryRow> {
  const d = await loadDelivery(scope, hook.id, deliveryId, true);
  if (d.status === 'pending') {
    const next = d.next_attempt_at ? `; its next attempt is at ${new Date(d.next_attempt_at).toISOString()}` : '';
    throw conflict(`delivery ${d.id} is pending: it is still being retried${next}`, 'delivery_id');
  }
  if (hook.status !== 'active') throw conflict(`webhook ${hook.id} is ${hook.status}; set its status to active before redelivering`, 'status');
  await scope.table(DELIVERIES).where({ id: d.id }).update({ status: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null, failed_at: null, redelivered_at: now });
  const payload: DeliverPayload = { delivery_id: d.id };
  // As at emit: the horizon ends the retries, the attempt count is only a backstop.
  await enqueue(scope.db, DELIVER_QUEUE, payload, { key: d.id, tenantId: scope.tenantId, maxAttempts: 1000 });
  return d;
}

/** Failed deliveries one call sends again; a caller with more repeats the call (those sent are pending, so not taken twice). */
export const REDELIVER_BATCH = 500;

/**
 * Sends again the webhook's failed deliveries of events from `since` (to `until`), oldest first,
 * at most REDELIVER_BATCH of them: the recovery after a receiver outage longer than the retry
 * horizon. Each is pending with a fresh count of attempts and its own job, as a single redelivery.
 */
export async function redeliverFailed(scope: TenantScope, hook: WebhookRow, range: { since: Date; until?: Date }, now: Date): Promise<{ ids: string[]; more: boolean }> {
  if (hook.status !== 'active') throw conflict(`webhook ${hook.id} is ${hook.status}; set its status to active before redelivering`, 'status');
  let q = scope
    .table(DELIVERIES)
    .where({ webhook_id: hook.id, status: 'failed' })
    .where('created_at', '>=', range.since)
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .limit(REDELIVER_BATCH + 1)
    .forUpdate();
  if (range.until) q = q.where('created_at', '<', range.until);
  const rows = (await q.select('id')) as Array<{ id: string }>;
  const ids = rows.slice(0, REDELIVER_BATCH).map((r) => r.id);
  if (ids.length === 0) return { ids, more: false };
  await scope.table(DELIVERIES).whereIn('id', ids).update({ status: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null, failed_at: null, redelivered_at: now });
  for (const id of ids) {
    const payload: DeliverPayload = { delivery_id: id };
    await enqueue(scope.db, DELIVER_QUEUE, payload, { key: id, tenantId: scope.tenantId, maxAttempts: 1000 });
  }
  return { ids, more: rows.length > REDELIVER_BATCH };
}
