import { normalizeObject, resourceByName, type JsonSchema } from '@claresia/catalog';
import { newId } from '../crypto/secrets.js';
import { badRequest } from '../http/errors.js';
import type { Reply, RequestContext } from '../http/router.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { LIST_QUERY } from '../http/openapi-params.js';
import { checkWebhookUrl, loadWebhook, openWebhookSecret, presentWebhook, sealWebhookSecret, WEBHOOKS, type WebhookRow } from '../webhooks/store.js';
import { DELIVERY_SCHEMA, DELIVERY_STATUSES, deliveriesOf, loadDelivery, presentDelivery, type DeliveryRow } from '../webhooks/deliveries.js';
import { redeliver, REDELIVER_BATCH, redeliverFailed } from '../webhooks/redeliver.js';
import { rotateSecret, shortenOverlap } from '../webhooks/rotation.js';
import '../webhooks/deliver.js';
import '../webhooks/sources.js';
import type { Module } from './module.js';

const def = resourceByName('webhook');

function checkEvents(events: string[] | null | undefined): string[] {
  if (!events || events.length === 0) throw badRequest('events must name at least one event type', 'events', 'invalid_value');
  return [...events].sort();
}

async function create(ctx: RequestContext): Promise<Reply> {
  const body = normalizeObject(def.attributes, ctx.body) as { url: string; events: string[]; secret: string; status?: 'active' | 'disabled'; secret_overlap_seconds?: number };
  const url = await checkWebhookUrl(ctx.app, body.url);
  const events = checkEvents(body.events);
  const scope = ctx.tenant();
  const id = newId('whk');
  const now = new Date();
  const overlap = body.secret_overlap_seconds ?? 0;
  await scope.insert(WEBHOOKS, {
    id,
    url,
    events: JSON.stringify(events),
    ...(await sealWebhookSecret(scope, ctx.app.keys, id, body.secret)),
    secret_overlap_seconds: overlap,
    status: body.status ?? 'active',
    created_at: now,
    updated_at: now,
  });
  await ctx.audit({ type: 'webhook.created', subject: id, data: { url, events, status: body.status ?? 'active', secret_overlap_seconds: overlap } });
  return { status: 201, body: presentWebhook(await loadWebhook(scope, id)), headers: { Location: def.api.read.path.replace('{id}', id) } };
}

async function update(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const before = await loadWebhook(scope, ctx.params.id!, true);
  const patch = normalizeObject(def.attributes, ctx.body) as { url?: string | null; events?: string[] | null; secret?: string | null; status?: string | null; secret_overlap_seconds?: number | null };
  for (const k of ['url', 'events', 'secret', 'status', 'secret_overlap_seconds'] as const) if (patch[k] === null) throw badRequest(`${k} cannot be null`, k, 'invalid_value');
  const set: Record<string, unknown> = {};
  const changes: Record<string, unknown> = {};
  const now = new Date();
  // Present only when this PATCH changed how long a replaced secret signs: the ISO end, or null for none.
  let signsUntil: { previous_secret_signs_until: string | null } | undefined;
  if (patch.url !== undefined && patch.url !== before.url) {
    set.url = await checkWebhookUrl(ctx.app, patch.url!);
    changes.url = { from: before.url, to: patch.url };
  }
  if (patch.events !== undefined) {
    const events = checkEvents(patch.events);
    if (JSON.stringify(events) !== JSON.stringify([...before.events].sort())) {
      set.events = JSON.stringify(events);
      changes.events = { from: [...before.events].sort(), to: events };
    }
  }
  if (patch.status !== undefined && patch.status !== before.status) {
    set.status = patch.status;
    changes.status = { from: before.status, to: patch.status };
  }
  // The overlap sent with a new secret is the one that rotation gets (0 with a leaked secret).
  const overlap = patch.secret_overlap_seconds ?? Number(before.secret_overlap_seconds);
  if (overlap !== Number(before.secret_overlap_seconds)) {
    set.secret_overlap_seconds = overlap;
    changes.secret_overlap_seconds = { from: Number(before.secret_overlap_seconds), to: overlap };
  }
  if (patch.secret !== undefined && patch.secret !== (await openWebhookSecret(scope, ctx.app.keys, before))) {
    const rotated = await rotateSecret(scope, ctx.app.keys, before, patch.secret!, overlap, now);
    Object.assign(set, rotated);
    signsUntil = { previous_secret_signs_until: rotated.previous_secret_expires_at?.toISOString() ?? null };
    // Only that it changed: the chain never holds the secret.
    changes.secret = 'replaced';
  } else if (set.secret_overlap_seconds !== undefined) {
    const shorter = shortenOverlap(before, overlap, now);
    if (shorter) {
      Object.assign(set, shorter);
      signsUntil = { previous_secret_signs_until: shorter.previous_secret_expires_at?.toISOString() ?? null };
    }
  }
  if (Object.keys(set).length > 0) {
    await scope.table(WEBHOOKS).where({ id: before.id }).update({ ...set, updated_at: now });
    await ctx.audit({ type: 'webhook.updated', subject: before.id, data: { changes, ...signsUntil } });
  }
  return { body: presentWebhook(await loadWebhook(scope, before.id)) };
}

async function remove(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const row = await loadWebhook(scope, ctx.params.id!, true);
  // Its deliveries go with it (ON DELETE CASCADE); their queued jobs find nothing and end.
  await scope.table(WEBHOOKS).where({ id: row.id }).delete();
  await ctx.audit({ type: 'webhook.deleted', subject: row.id, data: { url: row.url } });
  return { status: 204 };
}

/** Newest first, keyset-paged on (created_at, id); `?status=` narrows to pending, delivered or failed. */
async function deliveries(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const hook = await loadWebhook(scope, ctx.params.id!);
  const { limit, cursor } = parseListQuery(ctx.query);
  const status = ctx.query.status === undefined ? undefined : String(ctx.query.status);
  if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) throw badRequest(`status must be one of: ${DELIVERY_STATUSES.join(', ')}`, 'status', 'invalid_value');
  let q = deliveriesOf(scope, hook.id)
    .orderBy([
      { column: 'd.created_at', order: 'desc' },
      { column: 'd.id', order: 'desc' },
    ])
    .limit(limit + 1);
  if (status) q = q.where('d.status', status);
  if (cursor) {
    const [at, id] = cursor.split('|');
    const t = new Date(at ?? '');
    if (!id || Number.isNaN(t.getTime())) throw badRequest('cursor is not one this API returned', 'cursor', 'invalid_value');
    q = q.whereRaw('(d.created_at, d.id) < (?, ?)', [t, id]);
  }
  const rows = (await q) as DeliveryRow[];
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    body: {
      items: page.map(presentDelivery),
      next_cursor: rows.length > limit && last ? `${new Date(last.created_at).toISOString()}|${last.id}` : null,
    },
  };
}

async function readDelivery(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const hook = await loadWebhook(scope, ctx.params.id!);
  return { body: presentDelivery(await loadDelivery(scope, hook.id, ctx.params.delivery_id!)) };
}

async function retryDelivery(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const hook = await loadWebhook(scope, ctx.params.id!);
  const before = await redeliver(scope, hook, ctx.params.delivery_id!, new Date());
  await ctx.audit({
    type: 'webhook.delivery_retried',
    subject: hook.id,
    data: { delivery_id: before.id, event_id: before.event_id, event_type: before.event_type, previous_status: before.status, previous_attempts: before.attempts, previous_status_code: before.last_status_code ?? null },
  });
  return { body: presentDelivery(await loadDelivery(scope, hook.id, before.id)) };
}

const REDELIVER_RANGE: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['since'],
  properties: {
    since: { type: 'string', format: 'date-time', description: 'Failed deliveries of events from this time (RFC 3339) on.' },
    until: { type: 'string', format: 'date-time', description: 'And before this time; now if left out.' },
    after: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'The next_after of the previous call: continue after the last delivery it took. Without it a call starts at since, and takes again any of the earlier ones that failed meanwhile.',
    },
  },
};

async function retryFailed(ctx: RequestContext<{ since: string; until?: string; after?: string }>): Promise<Reply> {
  const scope = ctx.tenant();
  const hook = await loadWebhook(scope, ctx.params.id!);
  const since = new Date(ctx.body.since);
  const until = ctx.body.until === undefined ? undefined : new Date(ctx.body.until);
  if (until && until.getTime() <= since.getTime()) throw badRequest('until must be later than since', 'until', 'invalid_value');
  const after = ctx.body.after;
  const { ids, more } = await redeliverFailed(scope, hook, { since, ...(until ? { until } : {}), ...(after !== undefined ? { after } : {}) }, new Date());
  if (ids.length > 0) {
    await ctx.audit({
      type: 'webhook.deliveries_retried',
      subject: hook.id,
      data: { since: since.toISOString(), until: until?.toISOString() ?? null, after: after ?? null, count: ids.length, more },
    });
  }
  return { body: { redelivered: ids.length, delivery_ids: ids, more, next_after: more ? ids[ids.length - 1]! : null } };
}

export const webhooksModule: Module = {
  name: 'webhooks',
  routes(r) {
    const tag = 'webhook';
    r.resource(def, {
      create,
      list: async (ctx) => ({ body: await pageById<WebhookRow, unknown>(ctx.tenant().table(WEBHOOKS), parseListQuery(ctx.query), presentWebhook) }),
      read: async (ctx) => ({ body: presentWebhook(await loadWebhook(ctx.tenant(), ctx.params.id!)) }),
      update,
      delete: remove,
    });
    const deliveriesPath = `${def.api.read.path}/deliveries`;
    r.route({
      method: 'GET',
      path: deliveriesPath,
      auth: 'tenant',
      tag,
      summary: "A webhook's deliveries, newest first: status (pending, delivered, failed), attempts, last HTTP status and error; ?status= and ?limit=, ?cursor=",
      query: { status: { schema: { type: 'string', enum: [...DELIVERY_STATUSES] } }, limit: LIST_QUERY.limit!, cursor: LIST_QUERY.cursor! },
      response: { type: 'object', properties: { items: { type: 'array', items: DELIVERY_SCHEMA }, next_cursor: { type: ['string', 'null'] } } },
      handler: deliveries,
    });
    r.route({ method: 'GET', path: `${deliveriesPath}/{delivery_id}`, auth: 'tenant', tag, summary: 'One delivery of a webhook', response: DELIVERY_SCHEMA, handler: readDelivery });
    r.route({
      method: 'POST',
      path: `${deliveriesPath}/{delivery_id}:retry`,
      auth: 'tenant',
      tag,
      summary:
        'Send a failed (or delivered) delivery again: same event id, the webhook\'s current URL and secrets; pending again, retried for 24 h from now. ' +
        '409 if it is still pending or the webhook is disabled. Recorded as webhook.delivery_retried',
      response: DELIVERY_SCHEMA,
      handler: retryDelivery,
    });
    r.route({
      method: 'POST',
      path: `${deliveriesPath}:retry`,
      auth: 'tenant',
      tag,
      summary:
        `Send again the failed deliveries of events from since (to until), oldest first, at most ${REDELIVER_BATCH} a call: more: true means call again ` +
        'with the same range and after set to next_after (the last delivery taken), which moves on even when the receiver fails the batch again at once. ' +
        '409 if the webhook is disabled. Recorded as webhook.deliveries_retried',
      body: REDELIVER_RANGE,
      response: {
        type: 'object',
        properties: {
          redelivered: { type: 'integer' },
          delivery_ids: { type: 'array', items: { type: 'string' } },
          more: { type: 'boolean' },
          next_after: { type: ['string', 'null'], description: 'When more is true, the id of the last delivery taken: send it as after to continue.' },
        },
      },
      handler: retryFailed,
    });
  },
};
