import { PUBLISH_QUEUE, queuePublish } from '../distribution/queue.js';
import { badRequest, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { queueStrandedRecoveries } from '../distribution/publisher.js';
import { jobSettings } from '../jobs/settings.js';
import '../distribution/triggers.js';
import { limitQuery } from '../http/openapi-params.js';
import type { Module } from './module.js';

/**
 * The distribution plane: publishing each tenant's (user, skill) grants to its connected
 * platforms. Requests come from skills/entitlements.ts requestRepublish (which queues the job in
 * the requester's transaction); the job is defined in distribution/publisher.ts.
 */
const REQUESTS = '/api/v1/skill-entitlement/distribution/requests';
const STATUSES = ['pending', 'completed', 'failed'];
const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
/**
 * A request is pending until every connected platform has the grants, then completed or failed.
 * publish_id: the publish that took it (a change made after that is not part of it, see
 * requestRepublish); last_error: the platforms' answers to the latest failed attempt, kept while
 * the publish is retried and when it fails, cleared when it completes. detail: what the status
 * alone would misstate (a request completed with nothing delivered, the tenant having no connector).
 */
const present = (r: Record<string, any>) => ({
  id: r.id,
  status: r.status,
  reason: r.reason ?? null,
  requested_by: r.requested_by,
  requested_at: iso(r.requested_at),
  completed_at: iso(r.completed_at),
  publish_id: r.publish_id ?? null,
  last_error: r.last_error ?? null,
  last_error_at: iso(r.last_error_at),
  detail: r.detail ?? null,
});

const REQUEST = {
  type: 'object',
  required: ['id', 'status', 'reason', 'requested_by', 'requested_at', 'completed_at', 'publish_id', 'last_error', 'last_error_at', 'detail'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    reason: { type: ['string', 'null'], description: 'What asked for the publish (the first change it covers).' },
    requested_by: { type: 'string' },
    requested_at: { type: 'string', format: 'date-time' },
    completed_at: { type: ['string', 'null'], format: 'date-time' },
    publish_id: { type: ['string', 'null'], description: 'The publish that took the request; null while it waits. Changes made after that publish took it are covered by a later request.' },
    last_error: { type: ['string', 'null'], description: "Each failing platform's connector and answer (HTTP status and error code) at the latest failed attempt; shown while retrying and once failed, null once completed." },
    last_error_at: { type: ['string', 'null'], format: 'date-time' },
    detail: {
      type: ['string', 'null'],
      description:
        "What the status alone would misstate; null otherwise. A request completed while the tenant had no LLM connector says that nothing was delivered (completed means every connected platform has the set, and none was connected); a connector added later gets the set once its test passes.",
    },
  },
};

/** The tenant's publish requests, newest first (`?status=`, `?limit=` up to 500). */
async function listRequests(ctx: RequestContext) {
  const status = ctx.query.status === undefined ? undefined : String(ctx.query.status);
  if (status !== undefined && !STATUSES.includes(status)) throw badRequest(`status must be one of: ${STATUSES.join(', ')}`, 'status', 'invalid_value');
  const limit = ctx.query.limit === undefined ? 100 : Number(ctx.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('limit must be an integer from 1 to 500', 'limit');
  let q = ctx.tenant().table('distribution_requests').orderBy([{ column: 'requested_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
  if (status) q = q.where('status', status);
  return { body: { items: ((await q) as Array<Record<string, any>>).map(present) } };
}

export const distributionModule: Module = {
  name: 'distribution',
  routes(r) {
    const tag = 'skill_entitlement';
    r.route({ method: 'GET', path: REQUESTS, auth: 'tenant', tag, summary: 'Publish requests, newest first: pending until every connected platform has the grants, then completed (or failed)', query: { status: { schema: { type: 'string', enum: STATUSES } }, limit: limitQuery(500) }, response: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: REQUEST } } }, handler: listRequests });
    r.route({
      method: 'GET',
      path: `${REQUESTS}/{id}`,
      auth: 'tenant',
      tag,
      summary: 'One publish request (the id POST .../distribution:republish answered)',
      response: REQUEST,
      async handler(ctx) {
        const row = await ctx.tenant().table('distribution_requests').where('id', ctx.params.id!).first();
        if (!row) throw notFound(`distribution request ${ctx.params.id}`, 'id');
        return { body: present(row) };
      },
    });
  },
  async start(app) {
    // Read first: a bad setting (the publish give-up among them) stops the start, naming the
    // variable, rather than the first publish that would read it.
    const s = jobSettings();
    // Requests written before the queue existed (or by a version without it) still get published.
    // Only where no publish is queued or running: that one takes them. A slow retry keeps its
    // request pending between attempts, and a publish queued here would drop it and hit a platform
    // that is still down with the whole backoff again, at every replica start of an outage.
    const tenants = (await app
      .db('distribution_requests as r')
      .where('r.status', 'pending')
      .whereNotExists((q) => q.select(1).from('jobs as j').where('j.queue', PUBLISH_QUEUE).whereRaw('j.key = r.tenant_id').whereIn('j.status', ['queued', 'running']))
      .distinct('r.tenant_id')) as Array<{ tenant_id: string }>;
    if (tenants.length) {
      await app.db.transaction(async (trx) => {
        for (const t of tenants) await queuePublish(trx, t.tenant_id);
      });
    }
    // Publishes given up before slow retries existed would otherwise wait for :test or a change.
    await queueStrandedRecoveries(app.db, s);
    return async () => {};
  },
};
