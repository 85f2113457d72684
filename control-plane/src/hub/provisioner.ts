import type { AppContext } from '../context.js';
import { appendEvent } from '../audit/chain.js';
import { CommitWakers, type Queryable, type Tx } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { rewrapConnectorCredentials } from '../llm/connector-store.js';
import { HUBS, presentHub, type HubRow } from './hub-store.js';
import { checkHubLink } from './link-check.js';
import { linkRestored } from './link-events.js';
import type { ProbeResult } from './mtls-probe.js';
import type { ProvisionerSettings } from './settings.js';
import { pollBackoffMs } from '../jobs/backoff.js';

const ACTOR = 'claresia:hub-provisioner';

/**
 * Takes one due Hub and leases it, in a short transaction of its own: the slow part (the
 * Mode C link check) then runs with no transaction open, so neither PGlite's single
 * connection nor a PostgreSQL row lock is held across the network. SKIP LOCKED lets every
 * replica poll the same table without two of them taking the same Hub.
 */
async function claim(app: AppContext, s: ProvisionerSettings): Promise<HubRow | undefined> {
  return app.db.transaction(async (trx) => {
    const now = new Date();
    const row = (await trx<HubRow>(HUBS)
      .where({ status: 'provisioning' })
      .whereNull('deleted_at')
      .where('next_attempt_at', '<=', now)
      .where((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now))
      .orderBy('next_attempt_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .first()) as HubRow | undefined;
    if (!row) return undefined;
    await trx(HUBS)
      .where({ id: row.id })
      .update({ lease_until: new Date(now.getTime() + s.leaseMs), attempts: row.attempts + 1, last_probe_at: now });
    return { ...row, attempts: row.attempts + 1, last_probe_at: now };
  });
}

/** The external work of a mode. Modes A and B need none beyond what the request already did. */
async function work(app: AppContext, s: ProvisionerSettings, hub: HubRow): Promise<ProbeResult> {
  if (hub.mode !== 'C') return { ok: true, httpStatus: 0 };
  return checkHubLink(app, hub, s.probeTimeoutMs);
}

/**
 * The check that made a Mode C Hub ready is its first link check: the periodic ones count from it.
 * Clearing link_error here ends a loss, which finish audits.
 */
const linkProven = (hub: HubRow, now: Date) => (hub.mode === 'C' ? { link_checked_at: now, link_verified_at: now, link_error: null } : {});

async function succeed(app: AppContext, trx: Tx, hub: HubRow, result: ProbeResult & { ok: true }): Promise<void> {
  if (hub.hub_key_id) return reverified(app, trx, hub, result);
  const scope = new TenantScope(trx, hub.tenant_id);
  // Mode B: the tenant's credentials move under its CMEK key before the Hub counts as ready.
  const rewrapped = hub.mode === 'B' ? await rewrapConnectorCredentials(scope, app.keys, hub.cmek_key_id) : 0;
  // Created before the event is appended, so hub.provisioned is the first event the Hub co-signs.
  const key = await app.keys.createHubKey(trx, hub.tenant_id);
  const now = new Date();
  await scope.table(HUBS).where({ id: hub.id }).update({
    status: 'ready',
    status_reason: null,
    hub_key_id: key.id,
    ready_at: now,
    lease_until: null,
    next_attempt_at: null,
    ...linkProven(hub, now),
  });
  const view = presentHub(app, { ...hub, status: 'ready', hub_key_id: key.id, ready_at: now });
  await appendEvent(trx, app.keys, hub.tenant_id, {
    type: 'hub.provisioned',
    actor: ACTOR,
    subject: hub.id,
    data: {
      tenant_id: hub.tenant_id,
      hub_id: hub.id,
      mode: hub.mode,
      region: hub.region,
      hub_key_id: key.id,
      ...(hub.mode === 'B' ? { cmek_key_id: hub.cmek_key_id, credentials_rewrapped: rewrapped } : {}),
      ...(hub.mode === 'C'
        ? {
            endpoint: hub.mtls_endpoint_url,
            control_plane_client_certificate_sha256: view.control_plane_client_certificate_sha256,
            customer_ca_certificate_sha256: view.customer_ca_certificate_sha256,
            endpoint_http_status: result.httpStatus,
          }
        : {}),
    },
  });
}

/**
 * A Hub that was ready before its link settings changed: the same key keeps co-signing, so
 * only the proof of the new link is recorded.
 */
async function reverified(app: AppContext, trx: Tx, hub: HubRow, result: ProbeResult & { ok: true }): Promise<void> {
  const now = new Date();
  await new TenantScope(trx, hub.tenant_id)
    .table(HUBS)
    .where({ id: hub.id })
    .update({ status: 'ready', status_reason: null, ready_at: now, lease_until: null, next_attempt_at: null, ...linkProven(hub, now) });
  const view = presentHub(app, hub);
  await appendEvent(trx, app.keys, hub.tenant_id, {
    type: 'hub.link_verified',
    actor: ACTOR,
    subject: hub.id,
    data: {
      tenant_id: hub.tenant_id,
      hub_id: hub.id,
      hub_key_id: hub.hub_key_id,
      endpoint: hub.mtls_endpoint_url,
      control_plane_client_certificate_sha256: view.control_plane_client_certificate_sha256,
      customer_ca_certificate_sha256: view.customer_ca_certificate_sha256,
      endpoint_http_status: result.httpStatus,
    },
  });
}

/**
 * How long until the next link check: doubling from retryMs, capped low while the wait is young
 * (someone is probably installing the certificate now) and higher once it has gone on for long.
 */
export function retryDelayMs(s: ProvisionerSettings, attempts: number, waitStartedAt: Date | undefined, now: Date): number {
  const young = waitStartedAt === undefined || now.getTime() - waitStartedAt.getTime() < s.earlyWindowMs;
  return Math.min(s.retryMs * 2 ** Math.max(0, attempts - 1), young ? s.earlyMaxRetryMs : s.maxRetryMs);
}

async function retryOrFail(app: AppContext, s: ProvisionerSettings, trx: Tx, hub: HubRow, reason: string): Promise<void> {
  const now = new Date();
  const scope = new TenantScope(trx, hub.tenant_id);
  if (hub.give_up_at && now >= new Date(hub.give_up_at)) {
    await scope.table(HUBS).where({ id: hub.id }).update({ status: 'failed', status_reason: reason.slice(0, 500), lease_until: null, next_attempt_at: null });
    await appendEvent(trx, app.keys, hub.tenant_id, {
      type: 'hub.provisioning_failed',
      actor: ACTOR,
      subject: hub.id,
      data: { tenant_id: hub.tenant_id, hub_id: hub.id, mode: hub.mode, attempts: hub.attempts, reason },
    });
    return;
  }
  // Every start of a wait (provision, retry, a change of link settings) sets give_up_at one deadline ahead.
  const started = hub.give_up_at ? new Date(new Date(hub.give_up_at).getTime() - s.linkDeadlineMs) : undefined;
  const delay = retryDelayMs(s, hub.attempts, started, now);
  await scope
    .table(HUBS)
    .where({ id: hub.id })
    .update({ status_reason: `waiting: ${reason}`.slice(0, 500), lease_until: null, next_attempt_at: new Date(now.getTime() + delay) });
}

/** Records the outcome, unless the Hub was deleted (or finished by someone else) meanwhile. */
async function finish(app: AppContext, s: ProvisionerSettings, claimed: HubRow, result: ProbeResult): Promise<void> {
  await app.db.transaction(async (trx) => {
    const hub = (await trx<HubRow>(HUBS).where({ id: claimed.id }).forUpdate().first()) as HubRow | undefined;
    if (!hub || hub.deleted_at || hub.status !== 'provisioning') return;
    // The link settings changed while this check ran: its answer is about the old ones, and the
    // change already made the Hub due again.
    if (hub.mtls_endpoint_url !== claimed.mtls_endpoint_url || hub.customer_ca_certificate !== claimed.customer_ca_certificate) return;
    if (!result.ok) return retryOrFail(app, s, trx, hub, result.reason);
    await succeed(app, trx, hub, result);
    // linkProven cleared the error of a link lost while ready (new settings, usually a PATCH
    // that fixed it): that loss ends here, as it would at a periodic check that passed.
    if (hub.mode === 'C' && hub.link_error !== null) await linkRestored(app, trx, hub, result.httpStatus, 'provisioner');
  });
}

/** One pass: works due Hubs until none is left. Returns how many it worked. */
export async function provisionDueHubs(app: AppContext, s: ProvisionerSettings): Promise<number> {
  let n = 0;
  for (;;) {
    const hub = await claim(app, s);
    if (!hub) return n;
    let result: ProbeResult;
    try {
      result = await work(app, s, hub);
    } catch (err) {
      // Never the error object itself: it could carry key material from a failed TLS setup.
      app.logger.error({ hub_id: hub.id, err: { message: (err as Error).message?.slice(0, 200) } }, 'hub provisioning step failed');
      result = { ok: false, reason: 'internal error while provisioning' };
    }
    await finish(app, s, hub, result);
    n++;
  }
}

/**
 * A client is waiting on this provisioning Mode C Hub (an apply polling it): bring its next link
 * check forward to now, unless one began less than pollProbeMinMs ago, so a certificate
 * installed late in a backoff is seen within seconds. One conditional UPDATE: replicas and
 * concurrent readers cannot make it probe more often than that.
 */
export async function probeSoon(db: Queryable, s: ProvisionerSettings, hub: HubRow): Promise<void> {
  if (hub.mode !== 'C' || hub.status !== 'provisioning' || hub.deleted_at) return;
  const now = new Date();
  const n = await db(HUBS)
    .where({ id: hub.id, tenant_id: hub.tenant_id, status: 'provisioning' })
    .whereNull('deleted_at')
    .where('next_attempt_at', '>', now)
    .where((q) => q.whereNull('last_probe_at').orWhere('last_probe_at', '<=', new Date(now.getTime() - s.pollProbeMinMs)))
    .update({ next_attempt_at: now });
  if (n > 0) wakeProvisionerAfterCommit(db);
}

const provisioners = new CommitWakers();

/**
 * Wakes this process's provisioners once `db`'s transaction commits: a Hub the request just put
 * in provisioning is worked at once rather than at the next look.
 */
export function wakeProvisionerAfterCommit(db: Queryable): void {
  provisioners.afterCommit(db);
}

/** Milliseconds until the next Hub falls due (its next attempt, or its lease running out), if any is in provisioning. */
async function nextDueInMs(app: AppContext): Promise<number | undefined> {
  const row = (await app.db(HUBS)
    .where({ status: 'provisioning' })
    .whereNull('deleted_at')
    .first(app.db.raw('min(GREATEST(next_attempt_at, COALESCE(lease_until, next_attempt_at))) AS due'))) as { due: Date | string | null } | undefined;
  return row?.due ? Math.max(0, new Date(row.due).getTime() - Date.now()) : undefined;
}

/**
 * Works due Hubs, then sleeps until the next one falls due: at least `pollMs`, at most
 * `idlePollMs` (a Hub left by a replica that died before its first look is found by then).
 * A Hub provisioned or retried through this process wakes it at once. The returned function
 * stops it and waits for a pass in flight.
 */
export function startProvisioner(app: AppContext, s: ProvisionerSettings): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  // Passes failed in a row (the database out of reach, usually): as the job runner does, each
  // one doubles the wait up to the idle poll, and the outage is logged when it starts and when
  // it ends rather than once a poll.
  let failures = 0;
  const pass = async () => {
    await provisionDueHubs(app, s);
    const due = await nextDueInMs(app);
    if (failures) app.logger.info({ failures }, 'hub provisioner: passes work again');
    failures = 0;
    return due === undefined ? s.idlePollMs : Math.min(Math.max(due, s.pollMs), s.idlePollMs);
  };
  const loop = () => {
    if (stopped) return;
    running = true;
    again = false;
    inFlight = pass()
      .catch((err) => {
        failures++;
        const retryInMs = pollBackoffMs(failures, s);
        const fields = { err: { message: (err as Error).message }, failures, retryInMs };
        if (failures === 1) app.logger.error(fields, 'hub provisioner pass failed (database unreachable?); retrying with backoff');
        else app.logger.debug(fields, 'hub provisioner pass failed');
        return retryInMs;
      })
      .then((sleepMs) => {
        running = false;
        if (!stopped) timer = setTimeout(loop, again ? 0 : sleepMs);
      });
  };
  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(loop, 0);
  };
  const unregister = provisioners.add(wake);
  timer = setTimeout(loop, 0);
  return async () => {
    stopped = true;
    unregister();
    clearTimeout(timer);
    await inFlight;
  };
}
