import { normalizeObject, resourceByName } from '@claresia/catalog';
import type { AppContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { badRequest } from '../http/errors.js';
import type { RequestContext, Reply } from '../http/router.js';
import { markIssued } from '../http/issued-credential.js';
import { OutboundError } from '../net/guarded-fetch.js';
import { checkOutboundTarget } from '../net/outbound-target.js';
import { testConnector } from '../llm/connector-test.js';
import { queueConnectorTest } from '../llm/auto-test.js';
import { queueRevocation } from '../llm/revoke.js';
import { adapterFor } from '../llm/platforms/index.js';
import { loadConnector, openCredential, presentConnector, sealCredential, type ConnectorRow } from '../llm/connector-store.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { newIngestCredential } from '../telemetry/ingest-credential.js';
import type { Module } from './module.js';

const def = resourceByName('llm_connector');
const TABLE = 'llm_connectors';
const TEST_PATH = `${def.api.read.path}:test`;
const ROTATE_PATH = `${def.api.read.path}/ingest-credential:rotate`;

type StoredConnector = ConnectorRow & { ingest_credential_rotated_at: Date | null };

/**
 * The API view: the ingest credential only in the answers to create and rotate (null
 * otherwise); its issue time stays null for a connector made before credentials existed,
 * which has none until rotated.
 */
function present(row: ConnectorRow, ingestCredential: string | null = null) {
  const issued = (row as StoredConnector).ingest_credential_rotated_at;
  return { ...presentConnector(row), ingest_credential: ingestCredential, ingest_credential_rotated_at: issued ? new Date(issued).toISOString() : null };
}

/** A base URL the control plane may call: https and public (its host name resolved too) unless configuration allows local test doubles. */
async function checkBaseUrl(app: AppContext, raw: string): Promise<string> {
  let url: URL;
  try {
    url = await checkOutboundTarget(raw, { allowPrivate: app.config.allowPrivateUrls ?? false });
  } catch (err) {
    if (err instanceof OutboundError) throw badRequest(`base_url ${err.message}`, 'base_url', 'invalid_value');
    throw err;
  }
  if (url.search || url.hash) throw badRequest('base_url must not carry a query or fragment', 'base_url', 'invalid_value');
  return raw;
}

async function create(ctx: RequestContext): Promise<Reply> {
  const body = normalizeObject(def.attributes, ctx.body) as Record<string, string>;
  const adapter = adapterFor(body.platform!);
  const baseUrl = await checkBaseUrl(ctx.app, body.base_url ?? adapter.defaultBaseUrl);
  const scope = ctx.tenant();
  const id = newId('llm');
  const now = new Date();
  const ingest = newIngestCredential();
  await scope.insert(TABLE, {
    id,
    platform: adapter.platform,
    name: body.name,
    base_url: baseUrl,
    ...(await sealCredential(scope, ctx.app.keys, id, body.credential!)),
    status: 'untested',
    ingest_credential_hash: ingest.hash,
    ingest_credential_rotated_at: now,
    created_at: now,
    updated_at: now,
  });
  await ctx.audit({ type: 'connector.added', subject: id, data: { kind: 'llm', platform: adapter.platform, name: body.name, base_url: baseUrl } });
  await queueConnectorTest(ctx.db, scope.tenantId, id);
  const row = await loadConnector(scope, id);
  // An Idempotency-Key replay gives this credential again only while no rotation has replaced it.
  const answer = markIssued(present(row, ingest.credential), { kind: 'ingest_credential', tenantId: scope.tenantId, id, secret: ingest.credential, created: 'object' });
  return { status: 201, body: answer, headers: { Location: def.api.read.path.replace('{id}', id) } };
}

async function update(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const before = await loadConnector(scope, ctx.params.id!, true);
  const patch = normalizeObject(def.attributes, ctx.body) as Record<string, string | null>;
  for (const k of ['name', 'credential'] as const) if (patch[k] === null) throw badRequest(`${k} cannot be null`, k, 'invalid_value');
  const set: Record<string, unknown> = {};
  const changes: Record<string, unknown> = {};
  // Sending the credential or base URL again, unchanged, is how Terraform and Pulumi ask for a
  // connector that is not connected to be tested again (a new credential_wo_version): the fix
  // is often on the platform's side (a scope granted, a key re-enabled) and they cannot call :test.
  const resend = before.status !== 'connected';
  let retest = false;
  if (patch.name !== undefined && patch.name !== before.name) {
    set.name = patch.name;
    changes.name = { from: before.name, to: patch.name };
  }
  if (patch.base_url !== undefined) {
    const next = await checkBaseUrl(ctx.app, patch.base_url ?? adapterFor(before.platform).defaultBaseUrl);
    if (next !== before.base_url) {
      set.base_url = next;
      changes.base_url = { from: before.base_url, to: next };
      retest = true;
    } else if (resend) {
      changes.base_url = 'sent again';
      retest = true;
    }
  }
  if (patch.credential !== undefined) {
    const same = patch.credential === (await openCredential(scope, ctx.app.keys, before));
    if (!same || resend) {
      // Sealed again even when equal: a test of the old ciphertext still under way then records nothing.
      Object.assign(set, await sealCredential(scope, ctx.app.keys, before.id, patch.credential!));
      // Only whether it changed: the audit trail never holds the credential.
      changes.credential = same ? 'sent again' : 'replaced';
      retest = true;
    }
  }
  if (Object.keys(changes).length > 0) {
    // A new key or a new address has not been proven yet: it is tested by itself right after.
    if (retest) Object.assign(set, { status: 'untested', status_reason: null });
    await scope.table(TABLE).where({ id: before.id }).update({ ...set, updated_at: new Date() });
    await ctx.audit({ type: 'connector.config_changed', subject: before.id, data: { kind: 'llm', platform: before.platform, changes } });
    if (retest) await queueConnectorTest(ctx.db, scope.tenantId, before.id);
  }
  return { body: present(await loadConnector(scope, before.id)) };
}

async function rotateIngestCredential(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const row = (await loadConnector(scope, ctx.params.id!, true)) as StoredConnector;
  const ingest = newIngestCredential();
  const now = new Date();
  // The old hash is overwritten in this transaction: the old credential stops working at commit.
  await scope.table(TABLE).where({ id: row.id }).update({ ingest_credential_hash: ingest.hash, ingest_credential_rotated_at: now, updated_at: now });
  await ctx.audit({
    type: 'connector.credential_rotated',
    subject: row.id,
    // Which credential, and whether there was one before (connectors older than ingest credentials had none).
    data: { kind: 'llm', platform: row.platform, name: row.name, credential: 'ingest', replaced: row.ingest_credential_rotated_at !== null },
  });
  // An Idempotency-Key replay gives this credential again only while no later rotation has replaced it.
  return { body: markIssued(present(await loadConnector(scope, row.id), ingest.credential), { kind: 'ingest_credential', tenantId: scope.tenantId, id: row.id, secret: ingest.credential }) };
}

async function remove(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const row = await loadConnector(scope, ctx.params.id!, true);
  // The platform keeps whatever was last published to it until told otherwise, and this row
  // holds the only credential that can tell it: a job publishes the empty set with it.
  const grants = await queueRevocation(ctx.db, scope.tenantId, row);
  await scope.table(TABLE).where({ id: row.id }).delete();
  await ctx.audit({ type: 'connector.removed', subject: row.id, data: { kind: 'llm', platform: row.platform, name: row.name, ...grants } });
  return { status: 204 };
}

export const llmModule: Module = {
  name: 'llm',
  routes(r) {
    r.resource(def, {
      create,
      list: async (ctx) => ({ body: await pageById<ConnectorRow, unknown>(ctx.tenant().table(TABLE), parseListQuery(ctx.query), (row) => present(row)) }),
      read: async (ctx) => ({ body: present(await loadConnector(ctx.tenant(), ctx.params.id!)) }),
      update,
      delete: remove,
    });
    r.route({
      method: 'POST',
      path: TEST_PATH,
      auth: 'tenant',
      tag: def.name,
      summary:
        "Test an LLM connector's credential with a real call to its platform. The control plane also tests a connector by itself after its creation, after a change of its credential or base_url, and when a connector that is not connected is sent its credential or base_url again, even unchanged (how Terraform and Pulumi test it again: a new credential_wo_version). A refused key or missing scopes fail the connector; an unreachable platform, a timeout, 5xx or 429 leave a connected connector connected (the failure is in status_reason)",
      transaction: false,
      response: {
        type: 'object',
        description: 'The connector (as LlmConnector) with what the platform answered; a refusal is 422 with the connector and missing_scopes',
        required: ['id', 'status', 'test'],
        properties: {
          id: { type: 'string' },
          status: { type: 'string' },
          test: { type: 'object', required: ['ok'], properties: { ok: { const: true }, account: {}, scopes: { type: 'array', items: { type: 'string' } } } },
        },
      },
      handler: testConnector,
    });
    r.route({
      method: 'POST',
      path: ROTATE_PATH,
      auth: 'tenant',
      tag: def.name,
      summary:
        "Issue a new ingest credential, the secret the platform sends telemetry with (returned once); the old one stops working at once. A connector made before ingest credentials existed gets its first one here",
      response: { $ref: '#/components/schemas/LlmConnector' },
      handler: rotateIngestCredential,
    });
  },
};
