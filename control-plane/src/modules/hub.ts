import { normalizeObject, resourceByName } from '@claresia/catalog';
import type { AppContext } from '../context.js';
import { isUniqueViolation } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { newId } from '../crypto/secrets.js';
import { ApiError, badRequest, conflict } from '../http/errors.js';
import type { Reply, RequestContext } from '../http/router.js';
import { OutboundError } from '../net/guarded-fetch.js';
import { checkOutboundTarget } from '../net/outbound-target.js';
import { CertificateError, inspectCaBundle, issueClientCertificate } from '../hub/certificates.js';
import { createCmekKey } from '../hub/cmek.js';
import { decommissionHub } from '../hub/decommission.js';
import { clientKeyAad, currentHub, HUBS, liveHubs, loadHub, presentHub, type HubRow } from '../hub/hub-store.js';
import { startLinkMonitor } from '../hub/link-monitor.js';
import { checkFailingLinkOnRead } from '../hub/link-on-read.js';
import { probeSoon, startProvisioner, wakeProvisionerAfterCommit } from '../hub/provisioner.js';
import { provisionerSettings } from '../hub/settings.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import type { Module } from './module.js';

const def = resourceByName('hub');

interface ProvisionBody {
  mode: 'A' | 'B' | 'C';
  region?: string;
  mtls_endpoint_url?: string;
  customer_ca_certificate?: string;
}

/** A Mode C endpoint the control plane may call (https, an allowed address), or a 400 naming the field. */
async function checkEndpoint(ctx: RequestContext, raw: string): Promise<void> {
  try {
    const url = await checkOutboundTarget(raw, { allowPrivate: ctx.app.config.allowPrivateUrls ?? false });
    if (url.protocol !== 'https:') throw new OutboundError('scheme_not_allowed', 'must be an https:// URL');
  } catch (err) {
    if (err instanceof OutboundError) throw badRequest(`mtls_endpoint_url ${err.message}`, 'mtls_endpoint_url', 'invalid_value');
    throw err;
  }
}

function checkCaBundle(pem: string): ReturnType<typeof inspectCaBundle> {
  try {
    return inspectCaBundle(pem);
  } catch (err) {
    if (err instanceof CertificateError) throw badRequest(`customer_ca_certificate: ${err.message}`, 'customer_ca_certificate', 'invalid_certificate');
    throw err;
  }
}

/** Everything about the request that can be wrong, checked before anything is written. */
async function checkRequest(ctx: RequestContext, scope: TenantScope, body: ProvisionBody) {
  const tenant = await ctx.db('tenants').where({ id: scope.tenantId }).first('deployment_mode', 'region');
  if (body.mode !== tenant.deployment_mode) {
    throw badRequest(`mode ${body.mode} does not match the tenant's deployment_mode ${tenant.deployment_mode}`, 'mode', 'invalid_value');
  }
  const existing = (await liveHubs(scope).first('id', 'mode')) as Pick<HubRow, 'id' | 'mode'> | undefined;
  if (existing) throw conflict(`the tenant already has a Hub (${existing.id}); DELETE /api/v1/hub before provisioning another`, 'mode');
  // Which fields each mode needs or refuses is the catalog's rules, checked before this handler runs.
  let ca: ReturnType<typeof inspectCaBundle> | undefined;
  if (body.mode === 'C') {
    await checkEndpoint(ctx, body.mtls_endpoint_url!);
    ca = checkCaBundle(body.customer_ca_certificate!);
  }
  return { region: body.region ?? (tenant.region as string), ca };
}

/** Runbook step 7. The request does what must be answered at once (CMEK key, client certificate); the worker does the rest. */
async function provision(ctx: RequestContext<ProvisionBody>): Promise<Reply> {
  const body = normalizeObject(def.attributes, ctx.body as unknown as Record<string, unknown>) as unknown as ProvisionBody;
  const scope = ctx.tenant();
  const { region, ca } = await checkRequest(ctx, scope, body);
  const settings = provisionerSettings();
  const id = newId('hub');
  const now = new Date();
  // The slow, failure-free part first, so that nothing below can leave half a Hub behind.
  const issued = body.mode === 'C' ? await issueClientCertificate(scope.tenantId, id) : undefined;
  let cmekKeyId: string | null = null;
  try {
    if (body.mode === 'B') cmekKeyId = await createCmekKey(scope, ctx.app.keys, region);
    await scope.insert(HUBS, {
      id,
      mode: body.mode,
      region,
      cmek_key_id: cmekKeyId,
      mtls_endpoint_url: body.mtls_endpoint_url ?? null,
      // Stored as normalised (trimmed), not re-serialised, so Terraform reads back what it sent.
      customer_ca_certificate: body.customer_ca_certificate ?? null,
      client_certificate: issued?.certificatePem ?? null,
      client_key_enc: issued ? ctx.app.keys.seal(issued.privateKeyPem, clientKeyAad(id)) : null,
      status: 'provisioning',
      status_reason: body.mode === 'C' ? 'waiting: the endpoint must trust control_plane_client_certificate' : null,
      attempts: 0,
      next_attempt_at: now,
      give_up_at: new Date(now.getTime() + settings.linkDeadlineMs),
      created_at: now,
    });
  } catch (err) {
    // Two provision calls raced past the check above; the second loses here and its transaction rolls back.
    if (isUniqueViolation(err)) throw conflict('the tenant already has a Hub; DELETE /api/v1/hub before provisioning another', 'mode');
    throw err;
  }
  if (cmekKeyId) await ctx.audit({ type: 'cmek.key_created', subject: cmekKeyId, data: { key_id: cmekKeyId, hub_id: id, region, tenant_id: scope.tenantId } });
  await ctx.audit({
    type: 'hub.provisioning_started',
    subject: id,
    data: {
      tenant_id: scope.tenantId,
      mode: body.mode,
      region,
      ...(issued ? { endpoint: body.mtls_endpoint_url, control_plane_client_certificate_sha256: issued.fingerprint, customer_ca_certificate_sha256: ca!.fingerprints } : {}),
    },
  });
  wakeProvisionerAfterCommit(scope.db);
  const hub = await loadHub(scope, id);
  return { status: 201, body: presentHub(ctx.app, hub), headers: { Location: def.api.read.path.replace('{id}', id) } };
}

async function decommission(ctx: RequestContext, hub: HubRow): Promise<Reply> {
  await decommissionHub(ctx.tenant(), ctx.app.keys, (e) => ctx.audit(e), hub);
  return { status: 204 };
}

type LinkField = 'mtls_endpoint_url' | 'customer_ca_certificate';
const LINK_FIELDS: readonly LinkField[] = ['mtls_endpoint_url', 'customer_ca_certificate'];
type LinkPatch = Partial<Record<LinkField, string | null>>;

/** The link settings `patch` changes on `hub`, or a 400 naming the field it may not set. */
function linkChanges(hub: HubRow, patch: LinkPatch): Partial<Record<LinkField, string>> {
  const next: Partial<Record<LinkField, string>> = {};
  for (const field of LINK_FIELDS) {
    const v = patch[field];
    if (v === undefined) continue;
    if (hub.mode !== 'C') throw badRequest(`${field} is only used in Mode C`, field, 'invalid_value');
    if (v === null) throw badRequest(`${field} is required in Mode C`, field, 'invalid_value');
    if (v !== hub[field]) next[field] = v;
  }
  return next;
}

/** What PATCH checked before its transaction: the body, and the new endpoint it found acceptable (if any). */
interface PreparedUpdate {
  patch: LinkPatch;
  endpointChecked?: string;
}

/**
 * A new endpoint's address is checked (a DNS lookup, up to seconds) before the transaction that
 * locks the Hub: while the lock is held, the link monitor and reads checking a failing link
 * (hub/link-on-read.ts) wait for it. Judged against the Hub as read now; the handler judges
 * again under the lock.
 */
async function prepareUpdate(ctx: RequestContext): Promise<PreparedUpdate> {
  const patch = normalizeObject(def.attributes, ctx.body as Record<string, unknown>) as LinkPatch;
  const next = linkChanges(await loadHub(ctx.tenant(), ctx.params.id!), patch);
  if (next.mtls_endpoint_url === undefined) return { patch };
  await checkEndpoint(ctx, next.mtls_endpoint_url);
  return { patch, endpointChecked: next.mtls_endpoint_url };
}

/**
 * Mode C: a new endpoint address or CA bundle, in place. The Hub keeps its id, its key and its
 * client certificate (which the customer has pinned), so a CA rotation or a move needs nothing
 * re-installed. The Hub goes back to provisioning until the link is proven with the new
 * settings: the control plane uses them from now on, and health must not call a link good
 * that nobody has checked. Its key keeps co-signing meanwhile, and a failed re-check can be
 * fixed by another PATCH or retried.
 */
async function update(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const { patch, endpointChecked } = ctx.prepared as PreparedUpdate;
  const hub = await loadHub(scope, ctx.params.id!, true);
  const next = linkChanges(hub, patch);
  // Only when another request changed the endpoint between the check and the lock, so that this
  // one's endpoint, equal to the stored one then, is a change now: rare enough to check here.
  if (next.mtls_endpoint_url !== undefined && next.mtls_endpoint_url !== endpointChecked) await checkEndpoint(ctx, next.mtls_endpoint_url);
  const ca = next.customer_ca_certificate !== undefined ? checkCaBundle(next.customer_ca_certificate) : undefined;
  if (Object.keys(next).length === 0) return { body: presentHub(ctx.app, hub) };
  const now = new Date();
  const changed = Object.keys(next).join(' and ');
  await scope.table(HUBS).where({ id: hub.id }).update({
    ...next,
    status: 'provisioning',
    status_reason: `waiting: proving the link again after a change of ${changed}`,
    attempts: 0,
    next_attempt_at: now,
    lease_until: null,
    give_up_at: new Date(now.getTime() + provisionerSettings().linkDeadlineMs),
  });
  const before = presentHub(ctx.app, hub);
  await ctx.audit({
    type: 'hub.config_changed',
    subject: hub.id,
    data: {
      tenant_id: hub.tenant_id,
      hub_id: hub.id,
      previous_status: hub.status,
      changes: {
        ...(next.mtls_endpoint_url !== undefined ? { mtls_endpoint_url: { from: hub.mtls_endpoint_url, to: next.mtls_endpoint_url } } : {}),
        ...(ca ? { customer_ca_certificate_sha256: { from: before.customer_ca_certificate_sha256?.split(',') ?? [], to: ca.fingerprints } } : {}),
      },
      control_plane_client_certificate_sha256: before.control_plane_client_certificate_sha256,
    },
  });
  wakeProvisionerAfterCommit(scope.db);
  return { body: presentHub(ctx.app, await loadHub(scope, hub.id)) };
}

/**
 * A read by a client that is waiting on a provisioning Hub asks for its next link check soon; a
 * read of a ready Hub whose link is failing has it checked now (briefly, see hub/link-on-read.ts),
 * so the answer shows an endpoint the customer has just fixed.
 */
async function readHub(ctx: RequestContext, hub: HubRow): Promise<Reply> {
  const settings = provisionerSettings();
  if (await checkFailingLinkOnRead(ctx.app, settings, hub)) hub = await loadHub(ctx.tenant(), hub.id);
  await probeSoon(ctx.db, settings, hub);
  return { body: presentHub(ctx.app, hub) };
}

/** A failed Hub gets another round of attempts (e.g. once the customer has installed the client certificate). */
async function retry(ctx: RequestContext): Promise<Reply> {
  const scope = ctx.tenant();
  const hub = await loadHub(scope, ctx.params.id!, true);
  if (hub.status !== 'failed') throw new ApiError(409, 'conflict', `hub ${hub.id} is ${hub.status}; only a failed Hub can be retried`, 'status');
  const now = new Date();
  await scope.table(HUBS).where({ id: hub.id }).update({
    status: 'provisioning',
    attempts: 0,
    next_attempt_at: now,
    give_up_at: new Date(now.getTime() + provisionerSettings().linkDeadlineMs),
  });
  await ctx.audit({ type: 'hub.provisioning_started', subject: hub.id, data: { tenant_id: hub.tenant_id, mode: hub.mode, region: hub.region, retry: true } });
  wakeProvisionerAfterCommit(scope.db);
  return { body: presentHub(ctx.app, await loadHub(scope, hub.id)) };
}

export const hubModule: Module = {
  name: 'hub',
  routes(r, app: AppContext) {
    const tag = 'hub';
    const base = { auth: 'tenant' as const, tag };
    r.resource(def, {
      create: provision,
      list: async (ctx) => ({ body: await pageById<HubRow, unknown>(liveHubs(ctx.tenant()), parseListQuery(ctx.query), (h) => presentHub(app, h)) }),
      read: async (ctx) => readHub(ctx, await loadHub(ctx.tenant(), ctx.params.id!)),
      update,
      delete: async (ctx) => decommission(ctx, await loadHub(ctx.tenant(), ctx.params.id!, true)),
    }, { update: { prepare: prepareUpdate } });
    // The runbook's paths: the caller's one Hub, without its id.
    const hubRef = { $ref: '#/components/schemas/Hub' };
    r.route({ ...base, method: 'GET', path: '/api/v1/hub', summary: "Read the tenant's Hub", response: hubRef, handler: async (ctx) => readHub(ctx, await currentHub(ctx.tenant())) });
    r.route({ ...base, method: 'DELETE', path: '/api/v1/hub', summary: "Decommission the tenant's Hub", status: 204, handler: async (ctx) => decommission(ctx, await currentHub(ctx.tenant(), true)) });
    r.route({ ...base, method: 'POST', path: `${def.api.read.path}:retry`, summary: 'Retry provisioning a failed Hub', response: hubRef, handler: retry });
  },
  async start(app) {
    const settings = provisionerSettings();
    const stopProvisioner = startProvisioner(app, settings);
    const stopMonitor = startLinkMonitor(app, settings);
    return async () => {
      await Promise.all([stopProvisioner(), stopMonitor()]);
    };
  },
};

