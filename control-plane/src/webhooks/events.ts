import type { Knex } from 'knex';
import type { Queryable } from '../db/connection.js';
import { newId } from '../crypto/secrets.js';
import { enqueue } from '../jobs/queue.js';

export const DELIVER_QUEUE = 'webhook.deliver';

export interface DeliverPayload {
  delivery_id: string;
}

/** Active webhooks of the tenant subscribed to `type`. */
async function subscribers(db: Queryable, tenantId: string, type: string): Promise<string[]> {
  const rows = (await db('webhooks')
    .where({ tenant_id: tenantId, status: 'active' })
    .whereRaw('events @> ?::jsonb', [JSON.stringify([type])])
    .select('id')) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

// Answers already read in an open transaction: a batch of SCIM writes asks once per write. No
// transaction that emits events also changes webhooks, so an answer does not go stale within one.
const answered = new WeakMap<object, Map<string, boolean>>();

/** Whether the tenant has any active webhook, so event sources can skip building payloads nobody receives. */
export async function hasActiveWebhooks(db: Queryable, tenantId: string): Promise<boolean> {
  const memo = (db as Knex.Transaction).isTransaction ? (answered.get(db) ?? answered.set(db, new Map()).get(db)!) : undefined;
  const known = memo?.get(tenantId);
  if (known !== undefined) return known;
  const has = !!(await db('webhooks').where({ tenant_id: tenantId, status: 'active' }).first('id'));
  memo?.set(tenantId, has);
  return has;
}

/**
 * Records one event and a pending delivery (and its job) for each subscribed webhook, in the
 * caller's transaction: the event exists exactly when the change does, and a delivery is one
 * row per (webhook, event), so however often its job runs the receiver sees one event id.
 */
export async function emitWebhookEvent(db: Queryable, tenantId: string, type: string, data: Record<string, unknown>): Promise<string | null> {
  const hooks = await subscribers(db, tenantId, type);
  if (hooks.length === 0) return null;
  const now = new Date();
  const eventId = newId('evt', 12);
  await db('webhook_events').insert({ id: eventId, tenant_id: tenantId, type, data: JSON.stringify(data), created_at: now });
  for (const webhookId of hooks) {
    const id = newId('dlv', 12);
    await db('webhook_deliveries').insert({ id, tenant_id: tenantId, webhook_id: webhookId, event_id: eventId, status: 'pending', attempts: 0, next_attempt_at: now, created_at: now });
    const payload: DeliverPayload = { delivery_id: id };
    // The 24 h horizon, not an attempt count, ends the retries (deliver.ts); this is only a backstop.
    await enqueue(db, DELIVER_QUEUE, payload, { key: id, tenantId, maxAttempts: 1000 });
  }
  return eventId;
}
