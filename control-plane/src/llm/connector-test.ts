import type { NewEvent } from '../audit/chain.js';
import type { AppContext } from '../context.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { Reply, RequestContext } from '../http/router.js';
import { conflict } from '../http/errors.js';
import { NO_CONNECTOR_CONNECTED } from '../distribution/no-connector.js';
import { fetchWithPolicy } from '../net/guarded-fetch.js';
import type { CheckFailure, CheckResult } from './adapter.js';
import { adapterFor } from './platforms/index.js';
import { loadConnector, openCredential, presentConnector, type ConnectorRow } from './connector-store.js';

// Platform answers are small JSON documents; a slow or huge one is a failure, not something to wait for.
const TEST_POLICY = { timeoutMs: 10_000, maxBytes: 256 * 1024, maxRedirects: 0 };

/**
 * Whether a failed test says nothing about the connector and is worth retrying: the platform
 * could not be reached, timed out, or was busy or failing (5xx, 408, 429; see otherStatus). A
 * refused key, missing scopes and a request the platform refuses as such (another 4xx, a wrong
 * base_url) are verdicts: retrying gets the same answer.
 */
export const isTransient = (code: CheckFailure): boolean => code === 'platform_unreachable' || code === 'platform_error';

/** The connector input a failed test is about, for the :test answer's `field`. */
export const failureField = (code: CheckFailure): 'base_url' | 'credential' => (code === 'invalid_credential' || code === 'insufficient_scope' ? 'credential' : 'base_url');

/** Calls the platform with the connector's stored credential; holds no transaction. */
export async function probeConnector(app: AppContext, scope: TenantScope, row: ConnectorRow): Promise<CheckResult> {
  const credential = await openCredential(scope, app.keys, row);
  const fetch = fetchWithPolicy({ ...TEST_POLICY, allowPrivate: app.config.allowPrivateUrls ?? false });
  return adapterFor(row.platform).checkCredential({ baseUrl: row.base_url, credential, fetch });
}

type Audit = (event: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<unknown>;

/**
 * Stores the outcome of a test of `tested` (the row as it was read before the call) and writes
 * `connector.tested`, in the caller's transaction. Returns false, writing nothing, when the
 * connector's credential or base URL changed meanwhile: the outcome would describe the wrong one.
 *
 * A connector that was connected stays connected through a transient failure, with the failure
 * in status_reason and the event: one 503 or timeout must not take a working platform out of
 * publishing. A refused credential still fails it.
 */
export async function recordTest(scope: TenantScope, audit: Audit, tested: ConnectorRow, result: CheckResult): Promise<boolean> {
  const current = await scope.table<ConnectorRow>('llm_connectors').where('id', tested.id).forUpdate().first();
  if (!current || current.credential_enc !== tested.credential_enc || current.base_url !== tested.base_url) return false;
  const kept = !result.ok && isTransient(result.code) && current.status === 'connected';
  const reason = result.ok ? null : kept ? `still connected; the last test failed (${result.code}: ${result.message}), which says nothing about the credential` : `${result.code}: ${result.message}`;
  const now = new Date();
  await scope
    .table('llm_connectors')
    .where({ id: tested.id })
    .update({ status: result.ok || kept ? 'connected' : 'failed', status_reason: reason?.slice(0, 500) ?? null, last_tested_at: now, updated_at: now });
  const stranded = result.ok || kept ? null : await failStrandedRequests(scope, `${NO_CONNECTOR_CONNECTED}: ${tested.platform} ${tested.id} failed its test: ${reason}`);
  await audit({
    type: 'connector.tested',
    subject: tested.id,
    data: {
      kind: 'llm',
      platform: tested.platform,
      result: result.ok ? 'connected' : result.code,
      ...(result.ok ? {} : { missing_scopes: result.missingScopes ?? [] }),
      ...(kept ? { status_kept: 'connected' } : {}),
    },
  });
  if (stranded?.requests.length) await audit({ type: 'distribution.failed', subject: null, data: { requests: stranded.requests, publish_id: null, attempts: 0, error: stranded.error } });
  return true;
}

/**
 * A publish that found no connected connector but one still untested left its requests pending
 * for that connector's test (publisher.ts). When the last such test fails and none is connected,
 * no publish will come for them: they fail now, naming the connector, rather than stay pending.
 * Updated before the chain is appended to, as every other writer of requests does.
 */
async function failStrandedRequests(scope: TenantScope, message: string): Promise<{ requests: string[]; error: string }> {
  const error = message.slice(0, 1000);
  const left = await scope.table('llm_connectors').whereIn('status', ['connected', 'untested']).first('id');
  if (left) return { requests: [], error };
  const now = scope.db.fn.now();
  const rows = (await scope.table('distribution_requests').where('status', 'pending').update({ status: 'failed', completed_at: now, last_error: error, last_error_at: now }).returning('id')) as Array<{ id: string }>;
  return { requests: rows.map((r) => r.id), error };
}

/**
 * POST /api/v1/llm/connectors/{id}:test. The platform call runs with no transaction open (the
 * route sets `transaction: false`): a slow platform must not hold a database connection (the
 * embedded database has only one) for up to the whole timeout. The outcome is then recorded,
 * with its event, in a short transaction of its own, whether the test passed or not.
 */
export async function testConnector(ctx: RequestContext): Promise<Reply> {
  const id = String(ctx.params.id);
  const read = ctx.tenant();
  const row = await loadConnector(read, id);
  const result = await probeConnector(ctx.app, read, row);

  const connector = await ctx.transaction(async (tx) => {
    const scope = tx.tenant();
    if (!(await recordTest(scope, (e) => tx.audit(e), row, result))) {
      await loadConnector(scope, id); // deleted meanwhile: 404
      throw conflict('the connector changed while it was being tested; test it again', 'id');
    }
    return presentConnector(await loadConnector(scope, id));
  });

  if (result.ok) return { body: { ...connector, test: { ok: true, account: result.account, scopes: result.scopes } } };
  const field = failureField(result.code);
  return { status: 422, body: { error: { code: result.code, message: result.message, field }, missing_scopes: result.missingScopes ?? [], connector } };
}
