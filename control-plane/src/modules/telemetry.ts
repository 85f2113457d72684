import type { Tx } from '../db/connection.js';
import { badRequest } from '../http/errors.js';
import { EVENT_SCHEMA, ingest, type SkillInvocation } from '../telemetry/ingest.js';
import type { Module } from './module.js';

const tag = 'telemetry';

export const telemetryModule: Module = {
  name: 'telemetry',
  routes(r) {
    r.route<SkillInvocation>({
      method: 'POST',
      path: '/api/v1/telemetry/events',
      auth: 'tenant',
      tag,
      summary: 'Record a skill invocation from a connected platform; while onboarding, the first one through a connector whose test passed completes the smoke test and makes the tenant live (409 connector_not_connected through any other)',
      body: EVENT_SCHEMA,
      async handler(ctx) {
        const res = await ingest(ctx.db as Tx, ctx.tenant(), ctx.body, (e) => ctx.audit(e));
        return { status: res.duplicate ? 200 : 202, body: res };
      },
    });
    r.route({
      method: 'GET',
      path: '/api/v1/telemetry/events',
      auth: 'tenant',
      tag,
      summary: 'Recent skill invocations, newest first (?skill_id=, ?limit=)',
      async handler(ctx) {
        const limit = Math.min(Math.max(Number(ctx.query.limit ?? 100) || 100, 1), 1000);
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
