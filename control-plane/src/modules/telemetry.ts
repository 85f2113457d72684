import type { Tx } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { badRequest } from '../http/errors.js';
import type { ApiRouter } from '../http/router.js';
import { validateBody } from '../http/validate.js';
import { parseLimit } from '../http/limit-param.js';
import { EVENT_SCHEMA, ingest, type SkillInvocation } from '../telemetry/ingest.js';
import { authenticateTelemetryCaller, connectorOf } from '../telemetry/ingest-credential.js';
import type { Module } from './module.js';
import { eventPageSchema, ingestResultSchema } from '../telemetry/openapi.js';

const tag = 'telemetry';
const EVENTS_PATH = '/api/v1/telemetry/events';

/**
 * The route is registered without auth so that the handler checks the caller first; the
 * OpenAPI document should still say who may call it: a connector's ingest credential, or a
 * tenant token with the role a write needs. The router has no auth mode to say that.
 */
function documentEventsRoute(r: ApiRouter): void {
  const op = r.operations.find((o) => o.method === 'POST' && o.path === EVENTS_PATH)!;
  op.auth = 'ingest';
  r.roles.set(`POST ${EVENTS_PATH}`, 'tenant_admin');
}

export const telemetryModule: Module = {
  name: 'telemetry',
  routes(r) {
    r.route({
      method: 'POST',
      path: EVENTS_PATH,
      // The router knows no connector credentials: the handler authenticates (either kind)
      // before it reads the body, and runs its write in a transaction of its own.
      auth: 'none',
      // Platforms send from a few addresses shared by all their customers, so a connector is
      // paced by its own budget (a tenant's size), and a tenant token by its tenant's: but only
      // once the credential matched; a made-up one is counted by its address.
      countsOwnCaller: true,
      transaction: false,
      // 200 for an invocation_id already recorded.
      status: [202, 200],
      // Validated by the handler once the caller is known, not by the router before.
      accepts: { content: { 'application/json': EVENT_SCHEMA } },
      response: ingestResultSchema,
      tag,
      summary:
        "Record a skill invocation from a connected platform, sent with the connector's ingest credential (or a tenant_admin token naming connector_id); while onboarding, the first one through a connector whose test passed completes the smoke test and makes the tenant live (409 connector_not_connected through any other)",
      async handler(ctx) {
        const caller = await authenticateTelemetryCaller(ctx.app, ctx.app.db, ctx.req);
        await ctx.countAs(caller.kind === 'connector' ? { connector: caller.connectorId } : { tenant: caller.tenantId });
        const body = validateBody<SkillInvocation>(EVENT_SCHEMA, ctx.body);
        const ev = { ...body, connector_id: connectorOf(caller, body.connector_id) };
        const res = await ctx.transaction((tx) =>
          ingest(tx.db as Tx, new TenantScope(tx.db, caller.tenantId), ev, (e) => tx.audit({ ...e, actor: caller.actor }, caller.tenantId)),
        );
        return { status: res.duplicate ? 200 : 202, body: res };
      },
    });
    documentEventsRoute(r);
    r.route({
      method: 'GET',
      path: '/api/v1/telemetry/events',
      auth: 'tenant',
      tag,
      summary: 'Recent skill invocations, newest first (?skill_id=, ?limit= from 1 to 1000, default 100)',
      query: { skill_id: { schema: { type: 'string' }, description: 'Only invocations of this skill' }, limit: { schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
      response: eventPageSchema,
      async handler(ctx) {
        const limit = parseLimit(ctx.query.limit);
        let q = ctx.tenant().table('telemetry_events').orderBy('id', 'desc').limit(limit);
        if (ctx.query.skill_id !== undefined) {
          if (typeof ctx.query.skill_id !== 'string') throw badRequest('skill_id must be one value', 'skill_id');
          q = q.where('skill_id', ctx.query.skill_id);
        }
        const rows = await q.select('connector_id', 'invocation_id', 'skill_id', 'user_email', 'occurred_at', 'received_at');
        return {
          body: {
            items: rows.map((x: Record<string, unknown>) => ({
              ...x,
              occurred_at: new Date(x.occurred_at as string).toISOString(),
              received_at: new Date(x.received_at as string).toISOString(),
            })),
          },
        };
      },
    });
  },
};
