import type { Reply, RequestContext } from '../http/router.js';
import { conflict } from '../http/errors.js';
import { fetchWithPolicy } from '../net/guarded-fetch.js';
import { adapterFor } from './platforms/index.js';
import { loadConnector, openCredential, presentConnector } from './connector-store.js';

// Platform answers are small JSON documents; a slow or huge one is a failure, not something to wait for.
const TEST_POLICY = { timeoutMs: 10_000, maxBytes: 256 * 1024, maxRedirects: 0 };

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
  const credential = await openCredential(read, ctx.app.keys, row);
  const fetch = fetchWithPolicy({ ...TEST_POLICY, allowPrivate: ctx.app.config.allowPrivateUrls ?? false });
  const result = await adapterFor(row.platform).checkCredential({ baseUrl: row.base_url, credential, fetch });

  const connector = await ctx.transaction(async (tx) => {
    const scope = tx.tenant();
    const current = await loadConnector(scope, id, true);
    // What was tested is no longer what is stored: recording the outcome would describe the wrong credential.
    if (current.credential_enc !== row.credential_enc || current.base_url !== row.base_url) {
      throw conflict('the connector changed while it was being tested; test it again', 'id');
    }
    const now = new Date();
    await scope
      .table('llm_connectors')
      .where({ id })
      .update({
        status: result.ok ? 'connected' : 'failed',
        status_reason: result.ok ? null : `${result.code}: ${result.message}`.slice(0, 500),
        last_tested_at: now,
        updated_at: now,
      });
    await tx.audit({
      type: 'connector.tested',
      subject: id,
      data: { kind: 'llm', platform: row.platform, result: result.ok ? 'connected' : result.code, ...(result.ok ? {} : { missing_scopes: result.missingScopes ?? [] }) },
    });
    return presentConnector(await loadConnector(scope, id));
  });

  if (result.ok) return { body: { ...connector, test: { ok: true, account: result.account, scopes: result.scopes } } };
  const field = result.code === 'platform_unreachable' || result.code === 'platform_error' ? 'base_url' : 'credential';
  return { status: 422, body: { error: { code: result.code, message: result.message, field }, missing_scopes: result.missingScopes ?? [], connector } };
}
