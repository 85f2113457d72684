import type { JsonSchema } from '@claresia/catalog';
import type { TenantScope } from '../db/tenant-scope.js';
import { notFound } from '../http/errors.js';

export const DELIVERIES = 'webhook_deliveries';
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: (typeof DELIVERY_STATUSES)[number];
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  redelivered_at: Date | null;
  created_at: Date;
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

/** The API shape of a delivery (never the body or the signature: those are the receiver's). */
export function presentDelivery(r: DeliveryRow) {
  return {
    id: r.id,
    webhook_id: r.webhook_id,
    event_id: r.event_id,
    event_type: r.event_type,
    status: r.status,
    attempts: r.attempts,
    last_status_code: r.last_status_code ?? null,
    last_error: r.last_error ?? null,
    next_attempt_at: iso(r.next_attempt_at),
    delivered_at: iso(r.delivered_at),
    failed_at: iso(r.failed_at),
    redelivered_at: iso(r.redelivered_at),
    created_at: iso(r.created_at),
  };
}

const nullableTime = { type: ['string', 'null'], format: 'date-time' };

export const DELIVERY_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Delivery id (dlv_...), also sent as X-Claresia-Delivery-Id.' },
    webhook_id: { type: 'string' },
    event_id: { type: 'string', description: 'The event id, the same in every attempt and redelivery (X-Claresia-Event-Id).' },
    event_type: { type: 'string' },
    status: { type: 'string', enum: [...DELIVERY_STATUSES] },
    attempts: { type: 'integer', description: 'Attempts since the delivery was created or last redelivered.' },
    last_status_code: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    next_attempt_at: nullableTime,
    delivered_at: nullableTime,
    failed_at: nullableTime,
    redelivered_at: { ...nullableTime, description: 'When an admin last asked for it to be sent again; its retries run for 24 h from then.' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

/** Deliveries joined with their event's type, for the listing and the single reads. */
export const deliveriesOf = (scope: TenantScope, webhookId: string) =>
  scope.table(`${DELIVERIES} as d`).join('webhook_events as e', 'e.id', 'd.event_id').where('d.webhook_id', webhookId).select('d.*', 'e.type as event_type');

export async function loadDelivery(scope: TenantScope, webhookId: string, id: string, lock = false): Promise<DeliveryRow> {
  let q = deliveriesOf(scope, webhookId).where('d.id', id).first();
  if (lock) q = q.forUpdate('d');
  const row = (await q) as DeliveryRow | undefined;
  if (!row) throw notFound(`delivery ${id} of webhook ${webhookId}`, 'delivery_id');
  return row;
}
