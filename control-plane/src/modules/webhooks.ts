import { normalizeObject, resourceByName } from '@claresia/catalog';
import { newId } from '../crypto/secrets.js';
import { badRequest } from '../http/errors.js';
import type { Reply, RequestContext } from '../http/router.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { checkWebhookUrl, loadWebhook, openWebhookSecret, presentWebhook, sealWebhookSecret, WEBHOOKS, type WebhookRow } from '../webhooks/store.js';
import '../webhooks/deliver.js';
import '../webhooks/sources.js';
import type { Module } from './module.js';

const def = resourceByName('webhook');
const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];

function checkEvents(events: string[] | null | undefined): string[] {
  if (!events || events.length === 0) throw badRequest('events must name at least one event type', 'events', 'invalid_value');
  return [...events].sort();
}

async function create(ctx: RequestContext): Promise<Reply> {
  const body = normalizeObject(def.attributes, ctx.body) as { url: string; events: string[]; secret: string; status?: 'active' | 'disabled' };
  const url = await checkWebhookUrl(ctx.app, body.url);
  const events = checkEvents(body.events);
  const scope = ctx.tenant();
  const id = newId('whk');
  const now = new Date();
  await scope.insert(WEBHOOKS, { id, url, events: JSON.stringify(events), ...(await sealWebhookSecret(scope, ctx.app.keys, id, body.secret)), status: body.status ?? 'active', created_at: now, updated_at: now });
  await ctx.audit({ type: 'webhook.created', subject: id, data: { url, events, status: body.status ?? 'active' } });
  return { status: 201, body: presentWebhook(await loadWebhook(scope, id)), headers: { Location: def.api.read.path.replace('{id}', id) } };
}

async function update(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const before = await loadWebhook(scope, ctx.params.id!, true);
  const patch = normalizeObject(def.attributes, ctx.body) as { url?: string | null; events?: string[] | null; secret?: string | null; status?: string | null };
  for (const k of ['url', 'events', 'secret', 'status'] as const) if (patch[k] === null) throw badRequest(`${k} cannot be null`, k, 'invalid_value');
  const set: Record<string, unknown> = {};
  const changes: Record<string, unknown> = {};
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
  if (patch.secret !== undefined && patch.secret !== (await openWebhookSecret(scope, ctx.app.keys, before))) {
    Object.assign(set, await sealWebhookSecret(scope, ctx.app.keys, before.id, patch.secret!));
    // Only that it changed: the chain never holds the secret.
    changes.secret = 'replaced';
  }
  if (Object.keys(set).length > 0) {
    await scope.table(WEBHOOKS).where({ id: before.id }).update({ ...set, updated_at: new Date() });
    await ctx.audit({ type: 'webhook.updated', subject: before.id, data: { changes } });
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

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);

/** Newest first, keyset-paged on (created_at, id); `?status=` narrows to pending, delivered or failed. */
async function deliveries(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const hook = await loadWebhook(scope, ctx.params.id!);
  const { limit, cursor } = parseListQuery(ctx.query);
  const status = ctx.query.status === undefined ? undefined : String(ctx.query.status);
  if (status !== undefined && !DELIVERY_STATUSES.includes(status)) throw badRequest(`status must be one of: ${DELIVERY_STATUSES.join(', ')}`, 'status', 'invalid_value');
  let q = scope
    .table('webhook_deliveries as d')
    .join('webhook_events as e', 'e.id', 'd.event_id')
    .where('d.webhook_id', hook.id)
    .orderBy([
      { column: 'd.created_at', order: 'desc' },
      { column: 'd.id', order: 'desc' },
    ])
    .limit(limit + 1)
    .select('d.*', 'e.type as event_type');
  if (status) q = q.where('d.status', status);
  if (cursor) {
    const [at, id] = cursor.split('|');
    const t = new Date(at ?? '');
    if (!id || Number.isNaN(t.getTime())) throw badRequest('cursor is not one this API returned', 'cursor', 'invalid_value');
    q = q.whereRaw('(d.created_at, d.id) < (?, ?)', [t, id]);
  }
  const rows = (await q) as Array<Record<string, any>>;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    body: {
      items: page.map((r) => ({
        id: r.id,
        event_id: r.event_id,
        event_type: r.event_type,
        status: r.status,
        attempts: r.attempts,
        last_status_code: r.last_status_code ?? null,
        last_error: r.last_error ?? null,
        next_attempt_at: iso(r.next_attempt_at),
        delivered_at: iso(r.delivered_at),
        failed_at: iso(r.failed_at),
        created_at: iso(r.created_at),
      })),
      next_cursor: rows.length > limit && last ? `${new Date(last.created_at).toISOString()}|${last.id}` : null,
    },
  };
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
    r.route({
      method: 'GET',
      path: `${def.api.read.path}/deliveries`,
      auth: 'tenant',
      tag,
      summary: "A webhook's deliveries, newest first: status (pending, delivered, failed), attempts, last HTTP status and error; ?status= and ?limit=, ?cursor=",
      handler: deliveries,
    });
  },
};
