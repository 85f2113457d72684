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
 *
 * An attempt can also end with no answer to record: it threw (the database, the stored
 * credential, a bug), or its worker stopped and the queue gave the job to another once the lease
 * ran out. Either way the job is retried like a platform's failure, and status_reason says so
 * with the same `waiting: ` prefix: Terraform and Pulumi end their wait on it, where a reason
 * left as it was would keep them polling to their timeout for a verdict no attempt is about to give.
 */
async function run(app: AppContext, job: Job<ConnectorTestPayload>): Promise<void> {
  const { tenant_id: tenantId, connector_id: id } = job.payload;
  const read = new TenantScope(app.db, tenantId);
  let row: ConnectorRow | undefined;
  let recorded = false;
  try {
    await dropQueuedSiblings(app.db, CONNECTOR_TEST_QUEUE, id, job.id);
    row = (await read.table<ConnectorRow>('llm_connectors').where('id', id).first()) as ConnectorRow | undefined;
    if (!row || row.status !== 'untested') return;
    // Every attempt that ends retried leaves a `waiting: ` reason (below); none means the last
    // one never got there: its worker stopped or lost the job.
    if (job.attempts > 1 && !row.status_reason?.startsWith(WAITING)) {
      await noResult(app, job, row, `attempt ${job.attempts - 1} of ${job.max_attempts} ended without a result (the control plane running it stopped or lost it); attempt ${job.attempts} is running`);
    }
    const result = await probeConnector(app, read, row);
    if (!result.ok && isTransient(result.code) && job.attempts < job.max_attempts) {
      const waiting = `${WAITING}the automatic test got ${result.code}: ${result.message}; it is retried`;
      await stillUntested(read, row).update({ status_reason: waiting.slice(0, 500) });
      recorded = true;
      throw new Error(`automatic test of connector ${id}: ${result.code}: ${result.message}`);
    }
    await app.db.transaction(async (trx) => {
      const scope = new TenantScope(trx, tenantId);
      // Changed meanwhile: the change queued a test of its own.
      await recordTest(scope, (e) => appendEvent(trx, app.keys, tenantId, { actor: ACTOR, ...e }), row!, result);
    });
  } catch (err) {
    // The error itself goes to the log with the job (runner.ts): a database error quotes its
    // query and values, which are not the tenant's to read. The last attempt's is onDead's.
    if (!recorded && job.attempts < job.max_attempts) {
      await noResult(app, job, row, `attempt ${job.attempts} of ${job.max_attempts} could not run (an error in the control plane, not an answer of the platform; its log has it, job ${job.id})`);
    }
    throw err;
  }
}

/**
 * Says, on a connector still untested as `tested` left it, that an attempt of its test gave no
 * result and the test is retried. Best effort: the database may be what failed, and the error
 * that matters is the attempt's own.
 */
async function noResult(app: AppContext, job: Job<ConnectorTestPayload>, tested: ConnectorRow | undefined, what: string): Promise<void> {
  const scope = new TenantScope(app.db, job.payload.tenant_id);
  const q = tested ? stillUntested(scope, tested) : scope.table('llm_connectors').where({ id: job.payload.connector_id, status: 'untested' });
  await q.update({ status_reason: `${WAITING}the automatic test's ${what}; it is retried`.slice(0, 500) }).catch((e: unknown) => {
    app.logger.warn({ job: job.id, connector: job.payload.connector_id, err: { message: (e as Error).message } }, 'could not record why a connector test attempt gave no result');
  });
}

/**
 * Ran out of attempts for reasons of its own (the platform's answers the last attempt records).
 * Nothing retries it, so the reason is no `waiting: `: the connector waits for a test by hand or
 * its credential sent again. The error text stays in the log, as for each attempt.
 */
async function giveUp(app: AppContext, job: Job<ConnectorTestPayload>): Promise<void> {
  const scope = new TenantScope(app.db, job.payload.tenant_id);
  await scope
    .table('llm_connectors')
    .where({ id: job.payload.connector_id, status: 'untested' })
    .update({
      status_reason: `the automatic test could not run: its ${job.max_attempts} attempts ended without a result (the control plane's log has why, job ${job.id}); test it with POST /api/v1/llm/connectors/${job.payload.connector_id}:test, or send its credential again`,
    });
}

export const connectorTestJob = defineJob<ConnectorTestPayload>({
  queue: CONNECTOR_TEST_QUEUE,
  handle: run,
  onDead: giveUp,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.publishRetryMs, s.publishMaxRetryMs),
});
