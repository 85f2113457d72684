import type { TenantScope } from '../db/tenant-scope.js';
import { badRequest, conflict } from '../http/errors.js';
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

/** Failed deliveries one call sends again; a caller with more repeats the call with `after`. */
export const REDELIVER_BATCH = 500;

export interface RedeliverRange {
  since: Date;
  until?: Date;
  /** The id of the last delivery an earlier call took (its next_after): this call takes those after it. */
  after?: string;
}

/**
 * Sends again the webhook's failed deliveries of events from `since` (to `until`), oldest first,
 * at most REDELIVER_BATCH of them: the recovery after a receiver outage longer than the retry
 * horizon. Each is pending with a fresh count of attempts and its own job, as a single redelivery.
 *
 * A batch can be failed again before the next call (a receiver still answering 410, a refused
 * address), so "those sent are pending" does not move a caller on: the next call continues after
 * the last one taken, named by `after`, and reaches the end of the range whatever the receiver
 * does meanwhile.
 */
export async function redeliverFailed(scope: TenantScope, hook: WebhookRow, range: RedeliverRange, now: Date): Promise<{ ids: string[]; more: boolean }> {
  if (hook.status !== 'active') throw conflict(`webhook ${hook.id} is ${hook.status}; set its status to active before redelivering`, 'status');
  let q = scope
    .table(DELIVERIES)
    .where({ webhook_id: hook.id, status: 'failed' })
    .where('created_at', '>=', range.since)
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .limit(REDELIVER_BATCH + 1)
    .forUpdate();
  if (range.until) q = q.where('created_at', '<', range.until);
  if (range.after !== undefined) {
    const anchor = await scope.table(DELIVERIES).where({ webhook_id: hook.id, id: range.after }).first('id');
    if (!anchor) throw badRequest(`after must be the id of a delivery of webhook ${hook.id}, as next_after returned it`, 'after', 'invalid_value');
    // Compared in the database: its timestamps are finer than a JavaScript Date.
    q = q.whereRaw(`(created_at, id) > (SELECT a.created_at, a.id FROM ${DELIVERIES} a WHERE a.id = ? AND a.tenant_id = ?)`, [range.after, scope.tenantId]);
  }
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
