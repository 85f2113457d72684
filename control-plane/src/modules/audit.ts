import { verifyChain } from '../audit/chain.js';
import { badRequest } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import type { Module } from './module.js';

function parseTime(v: unknown, field: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw badRequest(`${field} must be an RFC 3339 time`, field, 'invalid_value');
  return d;
}

/** Operators name the tenant with ?tenant_id=; tenant tokens always see their own chain. */
function tenantOf(ctx: RequestContext): string {
  if (ctx.principal.kind === 'tenant') return ctx.principal.tenantId;
  const t = ctx.query.tenant_id;
  if (typeof t !== 'string' || !t) throw badRequest('tenant_id is required with the operator token', 'tenant_id', 'missing_field');
  return t;
}

export function presentEvent(e: Record<string, any>) {
  return {
    id: String(e.id),
    seq: Number(e.seq),
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
      async handler(ctx) {
        const tenantId = tenantOf(ctx);
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
      summary: "Verify the signatures and hash chain of the tenant's governance events",
      tag: 'audit',
      async handler(ctx) {
        return { body: await verifyChain(ctx.db, ctx.app.keys, tenantOf(ctx)) };
      },
    });
  },
};
