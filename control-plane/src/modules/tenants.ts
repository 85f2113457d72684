import { createSchema, immutableAttributes, normalizeObject, resourceByName, updateSchema } from '@claresia/catalog';
import type { Queryable, Tx } from '../db/connection.js';
import { isUniqueViolation } from '../db/connection.js';
import { startChain } from '../audit/chain.js';
import { hashSecret, newId, newSecret } from '../crypto/secrets.js';
import { ApiError, conflict, notFound, badRequest } from '../http/errors.js';
import { markIssued } from '../http/issued-credential.js';
import type { RequestContext } from '../http/router.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { LIST_QUERY } from '../http/openapi-params.js';
import type { Principal } from '../auth/principal.js';
import { revokeAllTenantSessions } from '../auth/service-accounts.js';
import { lockTenantLifecycle } from '../auth/tenant-status.js';
import { queueRevocation, REVOKE_QUEUE } from '../llm/revoke.js';
import type { ConnectorRow } from '../llm/connector-store.js';
import { TenantScope } from '../db/tenant-scope.js';
import { decommissionHub } from '../hub/decommission.js';
import { HUBS, type HubRow } from '../hub/hub-store.js';
import type { Module } from './module.js';

const def = resourceByName('tenant');
const CREATE = createSchema(def);
const UPDATE = updateSchema(def);
const IMMUTABLE = immutableAttributes(def);
const PUBLIC_COLUMNS = ['id', 'slug', 'display_name', 'region', 'deployment_mode', 'billing_contact', 'support_tier', 'status', 'created_at'];

interface TenantRow {
  id: string;
  slug: string;
  display_name: string;
  region: string;
  deployment_mode: string;
  billing_contact: string;
  support_tier: string;
  status: string;
  created_at: Date;
}

function present(row: TenantRow, firstAccount?: { client_id: string; client_secret?: string }) {
  return {
    id: row.id,
    slug: row.slug,
    display_name: row.display_name,
    region: row.region,
    deployment_mode: row.deployment_mode,
    billing_contact: row.billing_contact,
    support_tier: row.support_tier,
    status: row.status,
    created_at: new Date(row.created_at).toISOString(),
    client_id: firstAccount?.client_id ?? null,
    client_secret: firstAccount?.client_secret ?? null,
  };
}

/** An operator sees every live tenant; a tenant token sees only its own. Others are 404, not 403, so ids do not leak. */
function visibleTenants(db: Queryable, principal: Principal) {
  const q = db<TenantRow>('tenants').whereNot('status', 'offboarded');
  return principal.kind === 'tenant' ? q.where('id', principal.tenantId) : q;
}

/** The client_id a tenant reports: its first service account's (a tenant id, or a reference to one in a list). */
function firstClientId(db: Queryable, tenant: string | ReturnType<Queryable['ref']>) {
  return db('service_accounts').where('tenant_id', tenant).orderBy('created_at').limit(1).select('client_id');
}

async function firstAccount(db: Queryable, tenantId: string) {
  return (await firstClientId(db, tenantId))[0] as { client_id: string } | undefined;
}

/**
 * `lock` serialises the writers of a tenant. It is NO KEY UPDATE: every insert that references
 * the tenant takes KEY SHARE on its row, and a plain UPDATE lock would make those wait, while the
 * offboarding waits for rows (a SCIM directory) those same transactions hold: a deadlock.
 */
async function load(ctx: RequestContext, id: string, lock = false): Promise<TenantRow> {
  let q = visibleTenants(ctx.db, ctx.principal).where('id', id).first<TenantRow>(PUBLIC_COLUMNS);
  if (lock) q = q.forNoKeyUpdate();
  const row = await q;
  if (!row) throw notFound(`tenant ${id}`, 'id');
  return row;
}

async function create(ctx: RequestContext) {
  const body = normalizeObject(def.attributes, ctx.body) as Record<string, string>;
  const trx = ctx.db as Tx;
  const taken = await trx('tenants').where({ slug: body.slug }).whereNot('status', 'offboarded').first('id');
  if (taken) throw conflict(`slug "${body.slug}" is already taken`, 'slug');
  const now = new Date();
  const id = newId('tnt');
  const row = {
    id,
    slug: body.slug,
    display_name: body.display_name,
    region: body.region,
    deployment_mode: body.deployment_mode,
    billing_contact: body.billing_contact,
    support_tier: body.support_tier ?? 'standard',
    status: 'onboarding',
    data_key_enc: ctx.app.keys.newTenantDataKey(id),
    created_at: now,
    updated_at: now,
  };
  try {
    await trx('tenants').insert(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`slug "${body.slug}" is already taken`, 'slug');
    throw err;
  }
  await startChain(trx, id);
  const clientId = newId('cl', 12);
  const clientSecret = newSecret('cs');
  const accountId = newId('sa');
  await trx('service_accounts').insert({
    id: accountId,
    tenant_id: id,
    name: 'terraform',
    client_id: clientId,
    secret_hash: hashSecret(clientSecret),
    created_at: now,
  });
  const { data_key_enc: _k, updated_at: _u, ...fields } = row;
  await ctx.audit({ type: 'tenant.created', subject: id, data: { tenant: { ...fields, created_at: now.toISOString() }, service_account: clientId } }, id);
  // An Idempotency-Key replay gives this secret again only while no rotation has replaced it and
  // the tenant is not offboarded (which revokes the account).
  const answer = markIssued(present(row, { client_id: clientId, client_secret: clientSecret }), { kind: 'client_secret', tenantId: id, id: accountId, secret: clientSecret, created: 'tenant' });
  return { status: 201, body: answer, headers: { Location: `/api/v1/tenants/${id}` } };
}

async function read(ctx: RequestContext, id: string) {
  const row = await load(ctx, id);
  return { body: present(row, await firstAccount(ctx.db, id)) };
}

/**
 * The support plan is part of the commercial agreement, so only the operator changes it; a
 * tenant's own credentials would otherwise buy themselves enterprise support. Naming it with the
 * value it already has is accepted, so a script that sends back the tenant it read still works.
 * billing_contact stays the tenant's: where its invoices go is the customer's own business.
 */
const OPERATOR_ONLY = ['support_tier'];

function refuseOperatorFields(principal: Principal, changes: Record<string, unknown>): void {
  if (principal.kind === 'operator') return;
  const field = OPERATOR_ONLY.find((f) => f in changes);
  if (field) {
    throw new ApiError(403, 'forbidden', `${field} is set by the operator (Claresia or your MSP), not with the tenant's own credentials; ask them to change it`, field);
  }
}

async function update(ctx: RequestContext, id: string) {
  const before = await load(ctx, id, true);
  const patch = normalizeObject(def.attributes, ctx.body) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    // Required attributes cannot be cleared; an optional one cleared goes back to its default.
    if (v === null) {
      const attr = def.attributes[k]!;
      if (attr.mode === 'required') throw badRequest(`${k} cannot be null`, k, 'invalid_value');
      patch[k] = attr.default ?? null;
    }
  }
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(patch)) {
    const old = (before as unknown as Record<string, unknown>)[k];
    if (old !== v) changes[k] = { from: old, to: v };
  }
  refuseOperatorFields(ctx.principal, changes);
  if (Object.keys(changes).length > 0) {
    await ctx.db('tenants').where({ id }).update({ ...patch, updated_at: new Date() });
    await ctx.audit({ type: 'tenant.config_changed', subject: id, data: { changes } }, id);
  }
  return read(ctx, id);
}

/**
 * Offboarding stops everything that acts for the tenant without a person asking: besides its
 * credentials and sessions, its SCIM tokens (an IdP keeps pushing until someone removes the app
 * there) and its connectors' telemetry ingest credentials, sign-ins under way at its IdPs, its webhooks and the deliveries and publishes already
 * queued. The SCIM token check, sign-in and the job runner refuse an offboarded tenant as well;
 * this makes the refusal hold without them. The data stays, for the audit trail.
 */
async function offboard(ctx: RequestContext, id: string) {
  // Before the row lock, in the order the writers holding lockTenantOpen take them.
  await lockTenantLifecycle(ctx.db, id);
  await load(ctx, id, true);
  const now = new Date();
  const db = ctx.db;
  await db('tenants').where({ id }).update({ status: 'offboarded', offboarded_at: now, updated_at: now });
  await db('service_accounts').where({ tenant_id: id }).whereNull('revoked_at').update({ revoked_at: now });
  const revoked = await revokeAllTenantSessions(db, id);
  // token_hash is unique and required: a hash of a secret nobody was shown opens nothing.
  const directories = (await db('scim_directories').where({ tenant_id: id }).select('id')) as Array<{ id: string }>;
  for (const d of directories) await db('scim_directories').where({ id: d.id }).update({ token_hash: hashSecret(newSecret('revoked')), previous_token_hash: null, previous_token_expires_at: null, updated_at: now });
  // A state being redeemed right now is skipped, not waited for: that sign-in holds it and then
  // waits for this transaction's lock on the tenant, and is refused once it gets it.
  const ingest = await db('llm_connectors').where({ tenant_id: id }).whereNotNull('ingest_credential_hash').update({ ingest_credential_hash: null, updated_at: now });
  const logins = ((await db('sso_login_states')
    .whereIn('id', db('sso_login_states').where({ tenant_id: id }).select('id').forUpdate().skipLocked())
    .delete()
    .returning('id')) as unknown[]).length;
  const webhooks = await db('webhooks').where({ tenant_id: id, status: 'active' }).update({ status: 'disabled', updated_at: now });
  const deliveries = await db('webhook_deliveries').where({ tenant_id: id, status: 'pending' }).update({ status: 'failed', failed_at: now, next_attempt_at: null, last_error: 'tenant offboarded' });
  // Revocations already queued (a connector deleted earlier) stay: they take grants away.
  const jobs = ((await db('jobs').where({ tenant_id: id, status: 'queued' }).whereNot('queue', REVOKE_QUEUE).delete().returning('id')) as unknown[]).length;
  // The tenant's people lose its skills on the LLM platforms as they lose everything else: each
  // connector's grants are revoked (an empty set published) by a job that runs after offboarding.
  // The kept credentials move with the Hub's key below, like the connectors' own.
  const connectors = (await db('llm_connectors').where({ tenant_id: id }).select('*')) as ConnectorRow[];
  const revocations: unknown[] = [];
  for (const c of connectors) {
    const queued = await queueRevocation(db, id, c);
    if (queued.revocation_id) revocations.push(queued.revocation_id);
  }
  // The revocations hold their own copy; the platforms' admin keys of a former customer are not
  // kept beyond that. The catalog has no status for this, so failed, saying why.
  const credentials = connectors.length
    ? await db('llm_connectors')
        .where({ tenant_id: id })
        .update({ credential_enc: null, credential_key_id: null, status: 'failed', status_reason: 'the tenant was offboarded: its credential was erased', updated_at: now })
    : 0;
  // The Hub goes with its tenant: its key stops co-signing and a Mode B CMEK key is disabled. A
  // module that replaces the tenant deletes the old Hub with the new tenant's credentials, which
  // cannot see it, so this is where it is taken out of service.
  const hub = (await db(HUBS).where({ tenant_id: id }).whereNull('deleted_at').forUpdate().first()) as HubRow | undefined;
  if (hub) await decommissionHub(new TenantScope(db, id), ctx.app.keys, (e) => ctx.audit(e, id), hub, now);
  await ctx.audit(
    {
      type: 'tenant.offboarded',
      subject: id,
      data: { hub_decommissioned: hub?.id ?? null, grant_revocations_queued: revocations, sessions_revoked: revoked, scim_tokens_revoked: directories.length, ingest_credentials_revoked: ingest, connector_credentials_erased: credentials, sso_logins_cancelled: logins, webhooks_disabled: webhooks, deliveries_cancelled: deliveries, jobs_dropped: jobs },
    },
    id,
  );
  ctx.app.logger.info({ tenant: id, jobs_dropped: jobs, deliveries_cancelled: deliveries }, 'tenant offboarded: its queued jobs were dropped');
  return { status: 204 };
}

export const tenantsModule: Module = {
  name: 'tenants',
  routes(r) {
    const tag = 'tenant';
    r.route({ method: 'POST', path: def.api.create.path, auth: 'operator', summary: '', tag, body: CREATE, catalogOperation: true, handler: create });
    r.route({
      method: 'GET',
      path: def.api.list!.path,
      auth: 'any',
      summary: '',
      tag,
      catalogOperation: true,
      query: LIST_QUERY,
      async handler(ctx) {
        // The first service account comes in the same statement: a second query over the page's
        // ids cost a round trip and ~1 ms per 200 ids to bind and plan (the refresh of a plan
        // waits for this answer).
        const first = firstClientId(ctx.db, ctx.db.ref('tenants.id')).as('first_client_id');
        const { items, next_cursor } = await pageById<TenantRow & { first_client_id: string | null }, ReturnType<typeof present>>(
          visibleTenants(ctx.db, ctx.principal).select([...PUBLIC_COLUMNS, first]),
          parseListQuery(ctx.query),
          (t) => present(t, t.first_client_id === null ? undefined : { client_id: t.first_client_id }),
        );
        return { body: { items, next_cursor } };
      },
    });
    r.route({ method: 'GET', path: def.api.read.path, auth: 'any', summary: '', tag, catalogOperation: true, handler: (ctx) => read(ctx, ctx.params.id!) });
    r.route({
      method: 'PATCH',
      path: def.api.update!.path,
      auth: 'any',
      summary: '',
      tag,
      body: UPDATE,
      immutable: IMMUTABLE,
      catalogOperation: true,
      handler: (ctx) => update(ctx, ctx.params.id!),
    });
    r.route({ method: 'DELETE', path: def.api.delete!.path, auth: 'operator', summary: '', tag, catalogOperation: true, handler: (ctx) => offboard(ctx, ctx.params.id!) });
    // Runbook step 3: the tenant's own view, with its own token.
    r.route({ method: 'GET', path: '/api/v1/tenant', auth: 'tenant', summary: "Read the caller's tenant", tag, response: { $ref: '#/components/schemas/Tenant' }, handler: (ctx) => read(ctx, ctx.tenant().tenantId) });
    r.route({
      method: 'PATCH',
      path: '/api/v1/tenant',
      auth: 'tenant',
      summary: "Update the caller's tenant; support_tier is the operator's to change (a change of it is 403 naming support_tier), billing_contact and display_name are the tenant's",
      tag,
      body: UPDATE,
      immutable: IMMUTABLE,
      response: { $ref: '#/components/schemas/Tenant' },
      handler: (ctx) => update(ctx, ctx.tenant().tenantId),
    });
  },
};
