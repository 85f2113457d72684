import type { AppContext } from '../context.js';
import { appendEvent, appendEvents } from '../audit/chain.js';
import { canonicalJson } from '../audit/canonical.js';
import { newId, sha256Hex } from '../crypto/secrets.js';
import { TenantScope } from '../db/tenant-scope.js';
import { backoffMs, dropQueuedSiblings, type Job } from '../jobs/queue.js';
import { defineJob } from '../jobs/registry.js';
import type { JobSettings } from '../jobs/settings.js';
import type { GrantSet, PublishResult } from '../llm/adapter.js';
import { openCredential, type ConnectorRow } from '../llm/connector-store.js';
import { adapterFor } from '../llm/platforms/index.js';
import { fetchWithPolicy } from '../net/guarded-fetch.js';
import { computeGrants } from './grants.js';
import { PUBLISH_QUEUE, type PublishPayload } from './queue.js';

const ACTOR = 'claresia:distribution';

interface Target {
  connector: ConnectorRow;
  credential: string;
}

/**
 * What one publish starts from, read in one short transaction: nothing is held across the
 * network. Publishes queued behind this one are dropped first: their changes committed before
 * this point, so the set read next includes them.
 *
 * The first attempt picks the publish's id and stores it in the job before anything is sent, so
 * every retry (after a failure, or a worker that died mid-call) sends the same key. A random id
 * rather than the job's: job ids start over in a database restored from a backup, and a platform
 * would replay its answers to the old ones.
 */
async function snapshot(app: AppContext, job: Job<PublishPayload>) {
  const tenantId = job.payload.tenant_id;
  return app.db.transaction(async (trx) => {
    if (!job.payload.publish_id) {
      const payload = { ...job.payload, publish_id: newId('pub', 12) };
      const kept = await trx('jobs').where({ id: job.id, locked_by: job.locked_by }).update({ payload: JSON.stringify(payload) });
      if (kept === 0) throw new Error('publish job was taken by another worker');
      job.payload = payload;
    }
    await dropQueuedSiblings(trx, PUBLISH_QUEUE, tenantId, job.id);
    const scope = new TenantScope(trx, tenantId);
    const pending = ((await scope.table('distribution_requests').where('status', 'pending').select('id')) as Array<{ id: string }>).map((r) => r.id);
    const grants = await computeGrants(trx, tenantId);
    const rows = (await scope.table<ConnectorRow>('llm_connectors').where('status', 'connected').orderBy('id')) as ConnectorRow[];
    const targets: Target[] = [];
    for (const connector of rows) targets.push({ connector, credential: await openCredential(scope, app.keys, connector) });
    return { pending, grants, targets };
  });
}

/** The set as one publish sends it; its key changes with the content, so a retry after a change is applied. */
export function grantSetOf(grants: GrantSet['grants'], tenantId: string, publishId: string): GrantSet {
  const contentHash = `sha256:${sha256Hex(canonicalJson(grants))}`;
  return { grants, contentHash, idempotencyKey: `${tenantId}:${publishId}:${contentHash}` };
}

/**
 * Publishes the tenant's full grant set to every connected platform at once, then records, in
 * one transaction, last_publish_at and `distribution.published` for each platform that took it.
 * The requests pending at the start are completed only when every platform took the set;
 * otherwise the job fails and is retried. The job remembers which platforms took which set, so
 * a retry of an unchanged set calls only the platforms that have not (and records nothing twice);
 * a platform called again within this publish would see the same Idempotency-Key, which changes
 * nothing anyway.
 */
async function publish(app: AppContext, job: Job<PublishPayload>, s: JobSettings): Promise<void> {
  const tenantId = job.payload.tenant_id;
  const { pending, grants, targets: all } = await snapshot(app, job);
  const set = grantSetOf(grants, tenantId, job.payload.publish_id!);
  const took = job.payload.took ?? {};
  const targets = all.filter((t) => took[t.connector.id] !== set.contentHash);
  const fetch = fetchWithPolicy({ timeoutMs: s.publishTimeoutMs, maxBytes: 256 * 1024, maxRedirects: 0, allowPrivate: app.config.allowPrivateUrls ?? false });
  const results = await Promise.all(
    targets.map(async (t): Promise<PublishResult> => {
      try {
        return await adapterFor(t.connector.platform).publishGrants({ baseUrl: t.connector.base_url, credential: t.credential, fetch }, set);
      } catch (err) {
        app.logger.error({ connector: t.connector.id, err: { message: (err as Error).message?.slice(0, 200) } }, 'publish raised');
        return { ok: false, message: 'internal error while publishing' };
      }
    }),
  );
  const users = new Set(grants.map((g) => g.email)).size;
  const failed: string[] = [];
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    const now = new Date();
    const published: Target['connector'][] = [];
    for (let i = 0; i < targets.length; i++) {
      const r = results[i]!;
      if (r.ok) published.push(targets[i]!.connector);
      else failed.push(`${targets[i]!.connector.platform} ${targets[i]!.connector.id}: ${r.message}`);
    }
    for (const c of published) took[c.id] = set.contentHash;
    // Every connector row first, the audit chain last, as every other writer of connectors does
    // (a Mode B Hub re-sealing credentials locks them all, then appends): taking the chain head
    // between two connector updates deadlocked with it.
    const still = published.length
      ? new Set(((await scope.table('llm_connectors').whereIn('id', published.map((c) => c.id)).update({ last_publish_at: now }).returning('id')) as Array<{ id: string }>).map((r) => r.id))
      : new Set<string>();
    await appendEvents(
      trx,
      app.keys,
      tenantId,
      published
        .filter((c) => still.has(c.id)) // a connector deleted meanwhile gets no event
        .map((c) => ({
          type: 'distribution.published',
          actor: ACTOR,
          subject: c.id,
          data: { connector_id: c.id, platform: c.platform, users, grants: grants.length, content_hash: set.contentHash, publish_id: job.payload.publish_id, attempt: job.attempts },
        })),
    );
    if (failed.length === 0 && pending.length > 0) {
      await scope.table('distribution_requests').whereIn('id', pending).where('status', 'pending').update({ status: 'completed', completed_at: now });
    }
  });
  if (failed.length) {
    await app.db('jobs').where({ id: job.id, locked_by: job.locked_by }).update({ payload: JSON.stringify({ ...job.payload, took }) });
    throw new Error(`publish failed for ${failed.join('; ')}`);
  }
}

/** Out of attempts: the requests it covered are marked failed, and the chain says why. */
async function giveUp(app: AppContext, job: Job<PublishPayload>, error: string): Promise<void> {
  const tenantId = job.payload.tenant_id;
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    const ids = ((await scope.table('distribution_requests').where('status', 'pending').select('id')) as Array<{ id: string }>).map((r) => r.id);
    if (ids.length) await scope.table('distribution_requests').whereIn('id', ids).update({ status: 'failed', completed_at: new Date() });
    await appendEvent(trx, app.keys, tenantId, { type: 'distribution.failed', actor: ACTOR, subject: null, data: { requests: ids, attempts: job.attempts, error } });
  });
}

export const publishJob = defineJob<PublishPayload>({
  queue: PUBLISH_QUEUE,
  handle: publish,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.publishRetryMs, s.publishMaxRetryMs),
  onDead: giveUp,
});
