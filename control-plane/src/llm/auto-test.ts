import { resourceByName } from '@claresia/catalog';
import { appendEvent } from '../audit/chain.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { backoffMs, dropQueuedSiblings, enqueue, type Job } from '../jobs/queue.js';
import { defineJob } from '../jobs/registry.js';
import { jobSettings } from '../jobs/settings.js';
import type { ConnectorRow } from './connector-store.js';
import { isTransient, probeConnector, recordTest } from './connector-test.js';

export const CONNECTOR_TEST_QUEUE = 'llm.connector_test';
const ACTOR = 'claresia:connector-test';
// Terraform and Pulumi end their wait for the test, with a warning, on a reason that starts so.
const WAITING = resourceByName('llm_connector').async!.inconclusiveReasonPrefix!;

export interface ConnectorTestPayload {
  tenant_id: string;
  connector_id: string;
}

/**
 * Queues a test of a connector in the caller's transaction: after its creation and after a
 * change of its credential or base URL, which leave it `untested`. Terraform and Pulumi cannot
 * call :test, and an untested connector gets no publish; this test passing queues one (the
 * `connector.tested` trigger), exactly as a test by hand does. It runs as a job so that the
 * answer to the create or PATCH does not wait on the platform.
 */
export function queueConnectorTest(db: Queryable, tenantId: string, connectorId: string): Promise<number> {
  const payload: ConnectorTestPayload = { tenant_id: tenantId, connector_id: connectorId };
  return enqueue(db, CONNECTOR_TEST_QUEUE, payload, { key: connectorId, tenantId, maxAttempts: jobSettings().publishMaxAttempts });
}

const stillUntested = (scope: TenantScope, tested: ConnectorRow) =>
  scope.table('llm_connectors').where({ id: tested.id, status: 'untested', credential_enc: tested.credential_enc, base_url: tested.base_url });

/**
 * Tests what is stored now, so the tests queued behind it for the same connector are dropped
 * first (their changes committed before this read). A connector no longer untested was tested by
 * hand meanwhile, and one deleted needs nothing. A transient failure is retried like a publish,
 * with the reason shown in status_reason meanwhile; the last attempt records whatever it got, so
 * a connector never stays untested without saying why.
 */
async function run(app: AppContext, job: Job<ConnectorTestPayload>): Promise<void> {
  const { tenant_id: tenantId, connector_id: id } = job.payload;
  await dropQueuedSiblings(app.db, CONNECTOR_TEST_QUEUE, id, job.id);
  const read = new TenantScope(app.db, tenantId);
  const row = (await read.table<ConnectorRow>('llm_connectors').where('id', id).first()) as ConnectorRow | undefined;
  if (!row || row.status !== 'untested') return;
  const result = await probeConnector(app, read, row);
  if (!result.ok && isTransient(result.code) && job.attempts < job.max_attempts) {
    const waiting = `${WAITING}the automatic test got ${result.code}: ${result.message}; it is retried`;
    await stillUntested(read, row).update({ status_reason: waiting.slice(0, 500) });
    throw new Error(`automatic test of connector ${id}: ${result.code}: ${result.message}`);
  }
  await app.db.transaction(async (trx) => {
    const scope = new TenantScope(trx, tenantId);
    // Changed meanwhile: the change queued a test of its own.
    await recordTest(scope, (e) => appendEvent(trx, app.keys, tenantId, { actor: ACTOR, ...e }), row, result);
  });
}

/** Failed for a reason of its own (not the platform's answer, which the last attempt records). */
async function giveUp(app: AppContext, job: Job<ConnectorTestPayload>, error: string): Promise<void> {
  const scope = new TenantScope(app.db, job.payload.tenant_id);
  await scope
    .table('llm_connectors')
    .where({ id: job.payload.connector_id, status: 'untested' })
    .update({ status_reason: `the automatic test could not run (${error.slice(0, 300)}); test it with POST :test` });
}

export const connectorTestJob = defineJob<ConnectorTestPayload>({
  queue: CONNECTOR_TEST_QUEUE,
  handle: run,
  onDead: giveUp,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.publishRetryMs, s.publishMaxRetryMs),
});
