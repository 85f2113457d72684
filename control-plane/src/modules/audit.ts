import { fullFormats } from 'ajv-formats/dist/formats.js';
import { signHead } from '../audit/head.js';
import { eventListSchema, keysSchema, verifySchema } from '../audit/openapi.js';
import { publishedKeys } from '../audit/published-keys.js';
import { verifyAndRecord } from '../audit/verification.js';
import { badRequest, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { limitQuery } from '../http/openapi-params.js';
import type { Module } from './module.js';

// ajv-formats gives a function or (in other versions) { validate, compare }.
const dateTime = fullFormats['date-time'] as ((s: string) => boolean) | { validate: (s: string) => boolean };
const rfc3339 = typeof dateTime === 'function' ? dateTime : dateTime.validate;

function parseTime(v: unknown, field: string): Date | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const d = new Date(s);
  if (typeof v !== 'string' || !rfc3339(s) || Number.isNaN(d.getTime()))
    throw badRequest(`${field} must be an RFC 3339 time with a time zone, such as 2026-01-31T09:00:00Z (in a URL, write + as %2B)`, field, 'invalid_value');
  return d;
}

/** Operators name the tenant with ?tenant_id=; tenant tokens always see their own chain. */
const TENANT_ID_QUERY = { schema: { type: 'string' }, description: 'The tenant, with the operator token (required then); a tenant token always reads its own' };

async function tenantOf(ctx: RequestContext): Promise<string> {
  if (ctx.principal.kind === 'tenant') return ctx.principal.tenantId;
  const t = ctx.query.tenant_id;
  if (typeof t !== 'string' || !t) throw badRequest('tenant_id is required with the operator token', 'tenant_id', 'missing_field');
  if (!(await ctx.db('tenants').where({ id: t }).first('id'))) throw notFound(`tenant ${t}`, 'tenant_id');
  return t;
}

export function presentEvent(e: Record<string, any>) {
  return {
    id: String(e.id),
    seq: Number(e.seq),
    format: Number(e.format ?? 1),
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    data: typeof e.data === 'string' ? JSON.parse(e.data) : e.data,
    occurred_at: new Date(e.occurred_at).toISOString(),
    hash: e.hash,
    prev_hash: e.prev_hash,
    signature: e.signature,
    key_id: e.key_id,
    hub_signature: e.hub_signature,
    hub_key_id: e.hub_key_id,
  };
}

export const auditModule: Module = {
  name: 'audit',
  routes(r) {
    r.route({
      method: 'GET',
      path: '/api/v1/hub/governance-events',
      auth: 'any',
      summary: 'List governance events, newest last; filter by type and time, page with cursor',
      tag: 'audit',
      query: {
        type: { schema: { type: 'array', items: { type: 'string' } }, description: 'Only events of these types (repeat the parameter)' },
        since: { schema: { type: 'string', format: 'date-time' }, description: 'Events at or after this RFC 3339 time' },
        until: { schema: { type: 'string', format: 'date-time' }, description: 'Events before this RFC 3339 time' },
        limit: limitQuery(1000),
        cursor: { schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'next_cursor of the previous page' },
        tenant_id: TENANT_ID_QUERY,
      },
      response: eventListSchema,
      async handler(ctx) {
        const tenantId = await tenantOf(ctx);
        const limit = Number(ctx.query.limit ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer from 1 to 1000', 'limit', 'invalid_value');
        const since = parseTime(ctx.query.since, 'since');
        const until = parseTime(ctx.query.until, 'until');
        const cursor = ctx.query.cursor === undefined ? 0 : Number(ctx.query.cursor);
        if (!Number.isInteger(cursor) || cursor < 0) throw badRequest('cursor is not valid', 'cursor', 'invalid_value');
        let q = ctx.db('governance_events').where({ tenant_id: tenantId }).andWhere('seq', '>', cursor).orderBy('seq').limit(limit + 1);
        const types = ctx.query.type === undefined ? [] : (Array.isArray(ctx.query.type) ? ctx.query.type : [ctx.query.type]).map(String);
        if (types.length) q = q.whereIn('type', types);
        if (since) q = q.andWhere('occurred_at', '>=', since);
        if (until) q = q.andWhere('occurred_at', '<', until);
        const rows = await q;
        const page = rows.slice(0, limit);
        return { body: { items: page.map(presentEvent), next_cursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null } };
      },
    });
    r.route({
      method: 'GET',
      path: '/api/v1/hub/governance-events:verify',
      auth: 'any',
      summary:
        "Verify the signatures, co-signatures and hash chain of the tenant's governance events; when they check out, the answer carries the head signed now (a checkpoint to keep)",
      tag: 'audit',
      query: { tenant_id: TENANT_ID_QUERY },
      response: verifySchema,
      async handler(ctx) {
        const tenantId = await tenantOf(ctx);
        // Recorded, so the health check's audit verdict follows what this walk found.
        const result = await verifyAndRecord(ctx.db, ctx.app.keys, tenantId);
        if (!result.ok) return { body: result };
        // Signed only for a chain that checks out: the control plane never vouches for a broken one.
        const checkpoint = signHead(await ctx.app.keys.activeKey(ctx.db, 'audit'), tenantId, result.head_seq, result.head_hash!);
        return { body: { ...result, checkpoint } };
      },
    });
    r.route({
      method: 'GET',
      path: '/api/v1/hub/governance-keys',
      auth: 'any',
      summary: "The public keys that sign the tenant's governance events and chain head (the audit keys, retired ones too) and co-sign them (the tenant's Hub keys), for verifying offline",
      tag: 'audit',
      query: { tenant_id: TENANT_ID_QUERY },
      response: keysSchema,
      async handler(ctx) {
        const tenantId = await tenantOf(ctx);
        return { body: { tenant_id: tenantId, keys: await publishedKeys(ctx.db, ctx.app.keys, tenantId) } };
      },
    });
  },
};
