import { appendEvent } from '../audit/chain.js';
import type { AppContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import type { Queryable } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { grantSetOf } from '../distribution/publisher.js';
import { PUBLISH_QUEUE } from '../distribution/queue.js';
import { backoffMs, enqueue, type Job } from '../jobs/queue.js';
import { defineJob, RetryLater } from '../jobs/registry.js';
import { jobSettings, type JobSettings } from '../jobs/settings.js';
import { fetchWithPolicy } from '../net/guarded-fetch.js';
import type { PublishResult } from './adapter.js';
import { openCredential, type ConnectorRow } from './connector-store.js';
import { adapterFor } from './platforms/index.js';

export const REVOKE_QUEUE = 'llm.connector_revoke';
export const REVOCATIONS = 'llm_connector_revocations';
const ACTOR = 'claresia:distribution';

export interface RevokePayload {
  tenant_id: string;
  revocation_id: string;
}

export interface RevocationRow {
  id: string;
  tenant_id: string;
  connector_id: string;
  platform: string;
  name: string;
  base_url: string;
  credential_enc: string | null;
  credential_key_id: string | null;
  status: 'pending' | 'revoked' | 'failed';
  grants_published: number | null;
  users_published: number | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/**
 * What the connector's last successful publish sent, from its `distribution.published` event;
 * newest first by time, so the (tenant_id, type, occurred_at) index is read backwards and stops
 * at the first match instead of reading every publish of the tenant.
 */
async function lastPublished(scope: TenantScope, connectorId: string): Promise<{ grants: number; users: number } | null> {
  const ev = (await scope.table('governance_events').where({ type: 'distribution.published', subject: connectorId }).orderBy([{ column: 'occurred_at', order: 'desc' }, { column: 'seq', order: 'desc' }]).first('data')) as
    | { data: { grants?: unknown; users?: unknown } }
    | undefined;
  if (!ev) return null;
  return { grants: Number(ev.data.grants ?? 0), users: Number(ev.data.users ?? 0) };
}

/**
 * Called in the transaction that deletes `row`: keeps what revoking its grants needs and queues
 * the job that does it. Returns what `connector.removed` records about them. A connector that
 * was never connected and never published holds nothing on its platform, and gets no job.
 */
export async function queueRevocation(db: Queryable, tenantId: string, row: ConnectorRow): Promise<Record<string, unknown>> {
  const scope = new TenantScope(db, tenantId);
  const published = await lastPublished(scope, row.id);
  if (row.status !== 'connected' && !row.last_publish_at && !published) return { grants: 'none published', revocation_id: null };
  const id = newId('rvk');
  await scope.insert(REVOCATIONS, {
    id,
    connector_id: row.id,
    platform: row.platform,
    name: row.name,
    base_url: row.base_url,
    credential_enc: row.credential_enc,
    credential_key_id: row.credential_key_id,
    status: 'pending',
    grants_published: published?.grants ?? null,
    users_published: published?.users ?? null,
    created_at: new Date(),
  });
  const payload: RevokePayload = { tenant_id: tenantId, revocation_id: id };
  await enqueue(db, REVOKE_QUEUE, payload, { key: id, tenantId, maxAttempts: jobSettings().publishMaxAttempts });
  return { grants: 'revocation queued', revocation_id: id, grants_published: published?.grants ?? null, users_published: published?.users ?? null };
}

/**
 * Publishes the empty set to the deleted connector's platform with its kept credential, under an
 * Idempotency-Key of its own (the revocation id). A publish that read the connector before it was
 * deleted may still be sending it the full set, which would land after the empty one: while a
 * publish of the tenant runs, this waits. Failures are handled as a publish's are: an outage, a
 * timeout or a 429 is retried, never sooner than the platform's Retry-After; a refused credential
 * (401, 403) cannot get better by retrying, so the grants are reported left at once.
 */
async function revoke(app: AppContext, job: Job<RevokePayload>, s: JobSettings): Promise<void> {
  const { tenant_id: tenantId, revocation_id: id } = job.payload;
  const read = new TenantScope(app.db, tenantId);
  const r = (await read.table<RevocationRow>(REVOCATIONS).where('id', id).first()) as RevocationRow | undefined;
  if (!r || r.status !== 'pending' || !r.credential_enc) return;
  const publishing = await app.db('jobs').where({ queue: PUBLISH_QUEUE, key: tenantId, status: 'running' }).first('id');
  if (publishing) {
    // Not an attempt: the platform was not called. Counted, a long publish would use them all up.
    await app.db('jobs').where({ id: job.id, locked_by: job.locked_by }).decrement('attempts', 1);
    job.attempts--;
    throw new RetryLater('waiting for a publish of the tenant that is running', s.publishRetryMs);
  }

  const credential = await openCredential(read, app.keys, { id: r.connector_id, credential_enc: r.credential_enc, credential_key_id: r.credential_key_id } as ConnectorRow);
  const fetch = fetchWithPolicy({ timeoutMs: s.publishTimeoutMs, maxBytes: 256 * 1024, maxRedirects: 0, allowPrivate: app.config.allowPrivateUrls ?? false });
  let result: PublishResult;
  try {
    result = await adapterFor(r.platform).publishGrants({ baseUrl: r.base_url, credential, fetch }, grantSetOf([], tenantId, id));
  } catch (err) {
    app.logger.error({ revocation: id, err: { message: (err as Error).message?.slice(0, 200) } }, 'revocation raised');
    result = { ok: false, message: 'internal error while revoking' };
  }
  if (!result.ok) {
    const error = `revoking the grants of ${r.platform} connector ${r.connector_id}: ${result.message}`;
    if (result.rejected) return recordLeft(app, job, `${error}; the platform refused the credential the connector had`);
    await read.table(REVOCATIONS).where({ id, status: 'pending' }).update({ last_error: result.message.slice(0, 1000) });
    const delay = Math.min(s.publishMaxRetryMs, Math.max(backoffMs(job.attempts, s.publishRetryMs, s.publishMaxRetryMs), result.retryAfterMs ?? 0));
    throw new RetryLater(error, delay);
  }
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    // The credential is not needed any more: nothing of the connector's stays usable.
    const done = await scope.table(REVOCATIONS).where({ id, status: 'pending' }).update({ status: 'revoked', credential_enc: null, credential_key_id: null, last_error: null, completed_at: new Date() });
    if (!done) return;
    await appendEvent(trx, app.keys, tenantId, {
      type: 'connector.grants_revoked',
      actor: ACTOR,
      subject: r.connector_id,
      data: { kind: 'llm', platform: r.platform, name: r.name, revocation_id: id, grants_revoked: r.grants_published, users: r.users_published, attempt: job.attempts },
    });
  });
}

/** The grants stay on the platform (refused, or out of attempts): the chain says so and why. */
async function recordLeft(app: AppContext, job: Job<RevokePayload>, error: string): Promise<void> {
  const { tenant_id: tenantId, revocation_id: id } = job.payload;
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    const r = (await scope.table<RevocationRow>(REVOCATIONS).where({ id, status: 'pending' }).forUpdate().first()) as RevocationRow | undefined;
    if (!r) return;
    await scope.table(REVOCATIONS).where({ id }).update({ status: 'failed', credential_enc: null, credential_key_id: null, last_error: error.slice(0, 1000), completed_at: new Date() });
    await appendEvent(trx, app.keys, tenantId, {
      type: 'connector.grants_left',
      actor: ACTOR,
      subject: r.connector_id,
      data: {
        kind: 'llm',
        platform: r.platform,
        name: r.name,
        revocation_id: id,
        grants_left: r.grants_published,
        users: r.users_published,
        attempts: job.attempts,
        error: error.slice(0, 500),
        action: `remove the grants on ${r.platform} by hand: Claresia no longer holds a credential for it`,
      },
    });
  });
}

export const revokeJob = defineJob<RevokePayload>({
  queue: REVOKE_QUEUE,
  handle: revoke,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.publishRetryMs, s.publishMaxRetryMs),
  onDead: recordLeft,
  // Offboarding queues one per connector: an offboarded tenant's people must not keep its skills.
  runsAfterOffboarding: true,
});
