import type { AppContext } from '../context.js';
import { appendEvent, appendEvents } from '../audit/chain.js';
import { canonicalJson } from '../audit/canonical.js';
import { newId, sha256Hex } from '../crypto/secrets.js';
import { rawRows, type Queryable } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { backoffMs, dropQueuedSiblings, type Job } from '../jobs/queue.js';
import { defineJob, RetryLater } from '../jobs/registry.js';
import type { JobSettings } from '../jobs/settings.js';
import type { GrantSet, PublishFailure, PublishResult } from '../llm/adapter.js';
import { openCredential, type ConnectorRow } from '../llm/connector-store.js';
import { adapterFor } from '../llm/platforms/index.js';
import { fetchWithPolicy } from '../net/guarded-fetch.js';
import { computeGrants } from './grants.js';
import { PUBLISH_QUEUE, queueRecovery, type PublishPayload } from './queue.js';
import { describePeriod } from '../jobs/settings-give-up.js';
import { NO_CONNECTOR_CONNECTED } from './no-connector.js';

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
 * Every pending request is then marked as this publish's (publish_id), before the grants are
 * read: a change joining an untaken one updates that row in its own transaction, so the marking
 * waits for it to commit and the grants read afterwards include it; a change arriving after the
 * marking finds no request to join and gets its own, with its own publish. Requests an earlier
 * publish took are taken over too: a tenant's publishes run one at a time, so that one is waiting
 * to retry and was just dropped, and this set, read later, covers what it would have sent. `at`
 * is the database clock right after the marking: every change this publish covers was made
 * before it.
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
    const publishId = job.payload.publish_id!;
    await dropQueuedSiblings(trx, PUBLISH_QUEUE, tenantId, job.id);
    const scope = new TenantScope(trx, tenantId);
    if (job.payload.recovery && !(await openRecoveryRequest(scope, job.payload.recovery.after))) return null;
    await scope.table('distribution_requests').where('status', 'pending').update({ publish_id: publishId });
    const at = new Date(rawRows(await trx.raw('SELECT clock_timestamp() AS at'))[0].at);
    const grants = await computeGrants(trx, tenantId);
    // One read for both lists: a test passing between two reads would put its connector in neither.
    const rows = (await scope.table<ConnectorRow>('llm_connectors').orderBy('id')) as ConnectorRow[];
    const targets: Target[] = [];
    for (const connector of rows.filter((c) => c.status === 'connected')) targets.push({ connector, credential: await openCredential(scope, app.keys, connector) });
    const down = rows.filter((c) => c.status !== 'connected').map((c) => ({ id: c.id, platform: c.platform, status: c.status }));
    return { grants, targets, down, at };
  });
}

/**
 * A slow retry publishes for a request, so that whoever polls requests sees it pending and its
 * success completes one (health reads a failure as repaired by a later completed request, as
 * after a :test or a change). A pending one is taken as any publish takes it; with none, one of
 * its own is opened, by the distribution itself. With none pending and no connector connected
 * there is nothing to retry: what is left needs a person (a refused credential) or a test that
 * republishes by itself when it passes (an untested connector); false. With one pending and no
 * connector connected, the publish still runs, to end that request truthfully (publish): failed
 * when the connectors are failed or gone, left to an untested one's test.
 */
async function openRecoveryRequest(scope: TenantScope, after: string | null): Promise<boolean> {
  if (await scope.table('distribution_requests').where('status', 'pending').first('id')) return true;
  if (!(await scope.table('llm_connectors').where('status', 'connected').first('id'))) return false;
  await scope.insert('distribution_requests', {
    id: newId('dist'),
    requested_by: ACTOR,
    reason: `retry of publish ${after ?? '(unnamed)'}, which ran out of attempts`,
    status: 'pending',
    requested_at: new Date(),
    changed_at: scope.db.fn.now(),
  });
  return true;
}

/** The set as one publish sends it; its key changes with the content, so a retry after a change is applied. */
export function grantSetOf(grants: GrantSet['grants'], tenantId: string, publishId: string): GrantSet {
  const contentHash = `sha256:${sha256Hex(canonicalJson(grants))}`;
  return { grants, contentHash, idempotencyKey: `${tenantId}:${publishId}:${contentHash}` };
}

const describe = (c: ConnectorRow, message: string) => `${c.platform} ${c.id}: ${message}`;

/**
 * Publishes the tenant's full grant set to every connected platform at once, then records, in
 * one transaction, what each platform answered:
 * - a platform that took the set: last_publish_at (the snapshot's time, so a change made while
 *   the calls ran never counts as published) and `distribution.published`;
 * - a platform that refused the credential (401, 403): retrying cannot help, so the connector
 *   becomes `failed` with the reason (a passing :test republishes, see triggers.ts) and the
 *   requests this publish took fail at once;
 * - any failure: the platform's answer on the connector (last_publish_error) and on the requests;
 * - a platform failing with no success for CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS (its
 *   publish_failing_since, see giveUpOn): handled as a refusal, the connector becomes `failed`
 *   saying so, and nothing tries it again until it is fixed and tested;
 * - connectors that exist but none connected, all `failed`: the requests fail at once, naming
 *   them (nothing retries; a connector passing :test republishes);
 * - no connector at all, outside a slow retry: the requests complete, as nothing is connected
 *   that lacks the set, with a detail saying that nothing was delivered;
 * - none connected but one `untested` (its automatic test is queued or retrying, as right after a
 *   create made in the same apply as the change): the requests stay pending. The test passing
 *   republishes and that snapshot takes every pending request; the test failing fails them
 *   (connector-test.ts recordTest).
 * The requests are completed only when every platform took the set. Otherwise, if a failure may
 * pass (an outage, a timeout, 429), the job is retried no sooner than the platform's Retry-After:
 * with backoff until it runs out of attempts (giveUp), then, as a slow retry, every
 * publishRecoveryMs.
 * The job remembers which platforms took which set, so a retry of an unchanged set calls only the
 * platforms that have not (and records nothing twice); a platform called again within this
 * publish would see the same Idempotency-Key, which changes nothing anyway.
 */
async function publish(app: AppContext, job: Job<PublishPayload>, s: JobSettings): Promise<void> {
  const tenantId = job.payload.tenant_id;
  const taken = await snapshot(app, job);
  if (!taken) {
    app.logger.info({ tenant: tenantId, job: job.id, after: job.payload.recovery?.after ?? null }, 'publish: slow retry stopped, no connector is connected and no request pending');
    return;
  }
  const { grants, targets: all, down, at } = taken;
  const publishId = job.payload.publish_id!;
  const set = grantSetOf(grants, tenantId, publishId);
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
  const published: ConnectorRow[] = [];
  const rejected: Array<{ connector: ConnectorRow; failure: PublishFailure }> = [];
  const transient: Array<{ connector: ConnectorRow; failure: PublishFailure }> = [];
  targets.forEach((t, i) => {
    const r = results[i]!;
    if (r.ok) published.push(t.connector);
    else (r.rejected ? rejected : transient).push({ connector: t.connector, failure: r });
  });
  const giveUpMs = s.publishGiveUpMs;
  // Connectors exist but none may be published to: "completed" would tell whoever polls the
  // request that the platforms have the change, when none does. A slow retry that finds no
  // connector at all (every one deleted while it waited) is the same: its requests are there
  // because a platform never got the set, and none will now.
  const orphaned = all.length === 0 && down.length === 0 && !!job.payload.recovery;
  const nowhere = orphaned || (all.length === 0 && down.length > 0 && down.every((c) => c.status === 'failed'));
  const waiting = all.length === 0 && down.length > 0 && !nowhere;
  const unconfigured = all.length === 0 && down.length === 0 && !orphaned;
  const failures: string[] = [];
  let retrying = transient;
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    const now = trx.fn.now();
    for (const c of published) took[c.id] = set.contentHash;
    // Every connector row first, the audit chain last, as every other writer of connectors does
    // (a Mode B Hub re-sealing credentials locks them all, then appends): taking the chain head
    // between two connector updates deadlocked with it.
    const still = published.length
      ? new Set(
          ((await scope
            .table('llm_connectors')
            .whereIn('id', published.map((c) => c.id))
            .update({ last_publish_at: at, last_publish_error: null, last_publish_error_at: null, publish_failing_since: null })
            .returning('id')) as Array<{ id: string }>).map((r) => r.id),
        )
      : new Set<string>();
    for (const { connector, failure } of [...rejected, ...transient]) {
      await scope
        .table('llm_connectors')
        .where('id', connector.id)
        .update({ last_publish_error: failure.message.slice(0, 500), last_publish_error_at: now, publish_failing_since: trx.raw('COALESCE(publish_failing_since, now())') });
    }
    const given = await giveUpOn(scope, transient, giveUpMs);
    retrying = transient.filter((t) => !given.some((g) => g.connector.id === t.connector.id));
    const stopped = (c: ConnectorRow) => given.find((g) => g.connector.id === c.id);
    for (const f of [...rejected, ...transient]) {
      const g = stopped(f.connector);
      failures.push(describe(f.connector, g ? `${f.failure.message}; no publish succeeded for ${describePeriod(giveUpMs)} (since ${g.since.toISOString()}), so it is no longer retried` : f.failure.message));
    }
    if (orphaned) failures.push('nothing was published: no LLM connector is left (deleted while the publish was retried); add one and it publishes when its test passes');
    else if (nowhere) failures.push(`${NO_CONNECTOR_CONNECTED}: ${down.map((c) => `${c.platform} ${c.id} is ${c.status}`).join(', ')}`);
    const error = failures.join('; ').slice(0, 1000);
    const demoted: Array<{ connector: ConnectorRow; reason: string }> = given.map((g) => ({ connector: g.connector, reason: g.reason }));
    for (const { connector, failure } of rejected) {
      // Only the credential this publish used: one replaced meanwhile is untested, not refused.
      const n = await scope
        .table('llm_connectors')
        .where({ id: connector.id, status: 'connected', credential_enc: connector.credential_enc })
        .update({ status: 'failed', status_reason: `publish refused: ${failure.message}; fix the credential`.slice(0, 1000) });
      if (n > 0) demoted.push({ connector, reason: failure.message });
    }
    const mine = scope.table('distribution_requests').where({ publish_id: publishId, status: 'pending' });
    let requests: string[] = [];
    const ended = rejected.length > 0 || given.length > 0 || nowhere;
    if (ended) {
      requests = ((await mine.clone().update({ status: 'failed', completed_at: now, last_error: error, last_error_at: now }).returning('id')) as Array<{ id: string }>).map((r) => r.id);
    } else if (waiting) {
      // Left pending on purpose: nothing was sent, so "completed" would be false.
    } else if (retrying.length) {
      await mine.clone().update({ last_error: error, last_error_at: now });
    } else {
      // The error of an earlier attempt is history once every platform took the set.
      await mine.clone().update({ status: 'completed', completed_at: now, last_error: null, last_error_at: null, detail: unconfigured ? NO_CONNECTOR : null });
    }
    await appendEvents(trx, app.keys, tenantId, [
      ...published
        .filter((c) => still.has(c.id)) // a connector deleted meanwhile gets no event
        .map((c) => ({
          type: 'distribution.published',
          actor: ACTOR,
          subject: c.id,
          data: { connector_id: c.id, platform: c.platform, users, grants: grants.length, content_hash: set.contentHash, publish_id: publishId, attempt: job.attempts },
        })),
      ...demoted.map(({ connector: c, reason }) => ({ type: 'connector.status_changed', actor: ACTOR, subject: c.id, data: { kind: 'llm', connector_id: c.id, platform: c.platform, status: 'failed', reason } })),
      ...(ended
        ? [{ type: 'distribution.failed', actor: ACTOR, subject: null, data: { requests, publish_id: publishId, attempts: job.attempts, error, ...(given.length ? { given_up: given.map((g) => g.connector.id) } : {}) } }]
        : []),
    ]);
  });
  if (retrying.length) {
    await app.db('jobs').where({ id: job.id, locked_by: job.locked_by }).update({ payload: JSON.stringify({ ...job.payload, took }) });
    // The platform's Retry-After is a floor, not a wish: coming back sooner only earns another 429.
    const asked = Math.max(0, ...retrying.map((f) => f.failure.retryAfterMs ?? 0));
    const delay = job.payload.recovery ? slowRetryMs(s, asked) : Math.min(s.publishMaxRetryMs, Math.max(backoffMs(job.attempts, s.publishRetryMs, s.publishMaxRetryMs), asked));
    throw new RetryLater(`publish failed for ${failures.join('; ')}`, delay);
  }
}

const NO_CONNECTOR = 'nothing was delivered: the tenant has no LLM connector; add one (POST /api/v1/llm/connectors) and it gets the current grants once its test passes';

/**
 * The connectors among those that just failed for a reason that may pass whose run of failures
 * began CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS ago or more (on the database's clock, which set
 * publish_failing_since): each becomes `failed`, saying so and what to do, so that the slow retry
 * stops calling a platform that is gone and health names it, rather than calling it every period
 * for good. A connector changed meanwhile (new credential or base_url, being tested) is left to
 * its test. The reason says what to fix, not how to test again: the API adds that to every
 * failed connector's reason (llm/connector-store.ts), and health gives the test as its action.
 */
async function giveUpOn(scope: TenantScope, transient: Array<{ connector: ConnectorRow; failure: PublishFailure }>, giveUpMs: number) {
  const given: Array<{ connector: ConnectorRow; since: Date; reason: string }> = [];
  if (!Number.isFinite(giveUpMs)) return given;
  for (const { connector, failure } of transient) {
    const same = { id: connector.id, status: 'connected', credential_enc: connector.credential_enc, base_url: connector.base_url };
    const row = (await scope
      .table('llm_connectors')
      .where(same)
      .whereRaw(`publish_failing_since <= now() - (?::double precision * interval '1 millisecond')`, [giveUpMs])
      .first('publish_failing_since')) as { publish_failing_since: Date | string } | undefined;
    if (!row) continue;
    const since = new Date(row.publish_failing_since);
    const reason =
      `publishing stopped: no publish succeeded for ${describePeriod(giveUpMs)} (failing since ${since.toISOString()}; last answer: ${failure.message.slice(0, 160)}); ` +
      'fix its base_url or the platform';
    await scope.table('llm_connectors').where(same).update({ status: 'failed', status_reason: reason.slice(0, 500) });
    given.push({ connector, since, reason });
  }
  return given;
}

const DAY_MS = 86_400_000;

/**
 * The wait before a slow retry's next attempt: the recovery period, stretched by up to a tenth so
 * the retries of tenants that gave up together spread out; a longer Retry-After is honoured, up
 * to a day (further out is more likely a wrong clock than a plan).
 */
function slowRetryMs(s: JobSettings, askedMs: number): number {
  return Math.max(Math.round(s.publishRecoveryMs * (1 + Math.random() * 0.1)), Math.min(askedMs, DAY_MS));
}

/**
 * Out of attempts: the requests it took are marked failed with the last error, and the chain says
 * why. While a connector is still connected, a slow retry is queued in the same transaction (see
 * queueRecovery): a platform down for longer than the backoff gets the set once it is back,
 * without anyone acting. A connector whose credential was refused is `failed`, not connected: it
 * waits for a new credential or :test, whose pass republishes. A publish already queued or
 * running for the tenant covers this one, and gives up (and queues a slow retry) by itself if it
 * has to.
 */
async function giveUp(app: AppContext, job: Job<PublishPayload>, error: string, s: JobSettings): Promise<void> {
  const tenantId = job.payload.tenant_id;
  const publishId = job.payload.publish_id;
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    const ids = publishId
      ? ((await scope
          .table('distribution_requests')
          .where({ publish_id: publishId, status: 'pending' })
          // The last attempt already wrote each platform's answer; the job's error only fills in
          // for one that never reached a platform (the snapshot itself failing).
          .update({ status: 'failed', completed_at: trx.fn.now(), last_error: trx.raw('COALESCE(last_error, ?)', [error.slice(0, 1000)]), last_error_at: trx.raw('COALESCE(last_error_at, now())') })
          .returning('id')) as Array<{ id: string }>).map((r) => r.id)
      : [];
    const connected = await scope.table('llm_connectors').where('status', 'connected').first('id');
    // Running too: another replica may have claimed the next publish between this job going dead
    // and now; it covers this one as a queued one would.
    const covered = await trx('jobs').where({ queue: PUBLISH_QUEUE, key: tenantId }).whereIn('status', ['queued', 'running']).first('id');
    const retrying = !!connected && !covered;
    if (retrying) await queueRecovery(trx, tenantId, publishId ?? null, s);
    await appendEvent(trx, app.keys, tenantId, {
      type: 'distribution.failed',
      actor: ACTOR,
      subject: null,
      data: { requests: ids, publish_id: publishId ?? null, attempts: job.attempts, error, retry_every_ms: retrying ? s.publishRecoveryMs : null },
    });
  });
}

/**
 * Queues the slow retry that a publish given up before this version (or whose giveUp did not
 * commit) never got: a dead publish whose requests are still the tenant's latest failure, with a
 * connector connected and no publish queued or running. Called at start; replicas starting
 * together may queue one each, and the first to run drops the others (same key), so the platform
 * still gets one publish.
 */
export async function queueStrandedRecoveries(db: Queryable, s: Pick<JobSettings, 'publishRecoveryMs'>): Promise<number> {
  const rows = rawRows(
    await db.raw(
      `SELECT j.tenant_id, max(j.payload->>'publish_id') AS publish_id FROM jobs j
       JOIN tenants t ON t.id = j.tenant_id AND t.status <> 'offboarded'
       WHERE j.queue = ? AND j.status = 'dead'
         AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.queue = j.queue AND o.key = j.key AND o.status IN ('queued', 'running'))
         AND EXISTS (SELECT 1 FROM llm_connectors c WHERE c.tenant_id = j.tenant_id AND c.status = 'connected')
         AND EXISTS (SELECT 1 FROM distribution_requests r
           WHERE r.tenant_id = j.tenant_id AND r.status = 'failed' AND r.publish_id = j.payload->>'publish_id'
             AND NOT EXISTS (SELECT 1 FROM distribution_requests d WHERE d.tenant_id = r.tenant_id AND d.status = 'completed' AND d.completed_at > r.completed_at))
       GROUP BY j.tenant_id`,
      [PUBLISH_QUEUE],
    ),
  ) as Array<{ tenant_id: string; publish_id: string | null }>;
  if (rows.length) {
    await db.transaction(async (trx) => {
      for (const r of rows) await queueRecovery(trx, r.tenant_id, r.publish_id, s);
    });
  }
  return rows.length;
}

/**
 * A slow retry stays slow whatever fails: a snapshot that throws (a credential that cannot be
 * opened, the database refusing) would otherwise be retried on the backoff, which the slow retry,
 * having no attempt limit, would keep up for good.
 */
async function handle(app: AppContext, job: Job<PublishPayload>, s: JobSettings): Promise<void> {
  try {
    await publish(app, job, s);
  } catch (err) {
    if (!job.payload.recovery || err instanceof RetryLater) throw err;
    throw new RetryLater((err as Error).message ?? String(err), slowRetryMs(s, 0));
  }
}

export const publishJob = defineJob<PublishPayload>({
  queue: PUBLISH_QUEUE,
  handle,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.publishRetryMs, s.publishMaxRetryMs),
  onDead: giveUp,
});
