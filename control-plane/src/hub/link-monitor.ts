import type { AppContext } from '../context.js';
import { TenantScope } from '../db/tenant-scope.js';
import { pollBackoffMs } from '../jobs/backoff.js';
import { capWaits } from './bounded-wait.js';
import { HUBS, type HubRow } from './hub-store.js';
import { checkHubLink } from './link-check.js';
import { linkLost, linkRestored } from './link-events.js';
import type { ProbeResult } from './mtls-probe.js';
import type { ProvisionerSettings } from './settings.js';

/** A clock the tests can move forward instead of waiting a whole check interval. */
export type Clock = () => Date;
const systemClock: Clock = () => new Date();

/** Ready Mode C Hubs that no worker holds. */
export function unleasedHubs(app: AppContext, now: Date) {
  return app.db<HubRow>(HUBS)
    .where({ status: 'ready', mode: 'C' })
    .whereNull('deleted_at')
    .where((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now));
}

/**
 * Ready Mode C Hubs whose link was last checked at least one interval ago (or never, for a Hub
 * made ready before the checks were recorded), and that no worker holds.
 */
function dueHubs(app: AppContext, s: ProvisionerSettings, now: Date) {
  return unleasedHubs(app, now).where((q) => q.whereNull('link_checked_at').orWhere('link_checked_at', '<=', new Date(now.getTime() - s.linkCheckMs)));
}

/**
 * Leases one Hub of `candidates` in a transaction of its own, as the provisioner does: the check
 * then runs with no transaction open, and SKIP LOCKED plus the lease keep every other replica
 * (and every other worker of this one) off it, so a Hub is probed once however many look.
 * With a `deadline` (a read's), waiting on the database past it fails the claim (see capWaits).
 */
export async function claimHub(app: AppContext, s: ProvisionerSettings, candidates: ReturnType<typeof unleasedHubs>, now: Date, deadline?: number): Promise<HubRow | undefined> {
  return app.db.transaction(async (trx) => {
    if (deadline !== undefined) await capWaits(trx, deadline);
    const row = (await candidates
      .transacting(trx)
      .orderByRaw('link_checked_at ASC NULLS FIRST')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .first()) as HubRow | undefined;
    if (!row) return undefined;
    const lease = new Date(now.getTime() + s.leaseMs);
    await trx(HUBS).where({ id: row.id }).update({ lease_until: lease });
    return { ...row, lease_until: lease };
  });
}

const sameTime = (a: Date | null, b: Date | null) => (a ? new Date(a).getTime() : null) === (b ? new Date(b).getTime() : null);

/**
 * Records a check's outcome, unless the Hub changed under it: deleted, sent back to provisioning
 * by a change of link settings (whose own check then speaks for the new settings), or made
 * ready again meanwhile. Only a change between passing and failing is audited and logged at
 * warn/info; a link that keeps failing updates its reason without a new event each interval.
 * With a `deadline` (a read's), waiting past it on the Hub's row lock, or on the tenant's audit
 * chain, fails the record and writes nothing (see capWaits); the monitor waits as long as it takes.
 */
export async function recordLinkCheck(app: AppContext, claimed: HubRow, result: ProbeResult, now: Date, by: 'link-monitor' | 'read', deadline?: number): Promise<void> {
  await app.db.transaction(async (trx) => {
    // Capped again before the audit append, so the two waits together stay within the deadline.
    const cap = async () => {
      if (deadline !== undefined) await capWaits(trx, deadline);
    };
    await cap();
    const hub = (await trx<HubRow>(HUBS).where({ id: claimed.id }).forUpdate().first()) as HubRow | undefined;
    if (!hub || hub.deleted_at || hub.status !== 'ready' || !sameTime(hub.ready_at, claimed.ready_at)) return;
    if (hub.mtls_endpoint_url !== claimed.mtls_endpoint_url || hub.customer_ca_certificate !== claimed.customer_ca_certificate) return;
    const scope = new TenantScope(trx, hub.tenant_id);
    if (result.ok) {
      await scope.table(HUBS).where({ id: hub.id }).update({ link_checked_at: now, link_verified_at: now, link_error: null, lease_until: null });
      if (hub.link_error !== null) {
        await cap();
        await linkRestored(app, trx, hub, result.httpStatus, by);
      }
      return;
    }
    const reason = result.reason.slice(0, 500);
    await scope.table(HUBS).where({ id: hub.id }).update({ link_checked_at: now, link_error: reason, lease_until: null });
    if (hub.link_error === null) {
      await cap();
      await linkLost(app, trx, hub, reason);
    } else app.logger.debug({ hub_id: hub.id, reason }, 'hub link still failing');
  });
}

/** Probes a leased Hub; a check that cannot run is a failure, with nothing of the error object in the reason. */
export async function probeClaimed(app: AppContext, hub: HubRow, timeoutMs: number): Promise<ProbeResult> {
  try {
    return await checkHubLink(app, hub, timeoutMs);
  } catch (err) {
    // Never the error object itself: it could carry key material from a failed TLS setup.
    app.logger.error({ hub_id: hub.id, err: { message: (err as Error).message?.slice(0, 200) } }, 'hub link check failed to run');
    return { ok: false, reason: 'internal error while checking the link' };
  }
}

/**
 * How many links one replica probes at once in a pass. One at a time, a pass over many Hubs whose
 * endpoints time out took a probe timeout per Hub, and the last ones were checked late; more at
 * once would open that many outbound connections and pool checkouts in a burst.
 */
export const LINK_CHECK_CONCURRENCY = 4;

/**
 * One pass: checks every due Hub once, up to `concurrency` at a time. A worker that leases a Hub
 * starts another (up to the bound) to look for the next while it probes, so a pass with nothing
 * due costs one claim, not one per worker. Returns how many it checked. A worker that fails (the
 * database out of reach) fails the pass, once the others have finished: none is left running.
 */
export async function recheckHubLinks(app: AppContext, s: ProvisionerSettings, clock: Clock = systemClock, concurrency = LINK_CHECK_CONCURRENCY): Promise<number> {
  let n = 0;
  const workers: Array<Promise<void>> = [];
  const worker = async () => {
    for (;;) {
      const hub = await claimHub(app, s, dueHubs(app, s, clock()), clock());
      if (!hub) return;
      if (workers.length < concurrency) workers.push(worker());
      const result = await probeClaimed(app, hub, s.probeTimeoutMs);
      await recordLinkCheck(app, hub, result, clock(), 'link-monitor');
      n++;
    }
  };
  workers.push(worker());
  let failure: { err: unknown } | undefined;
  // The list grows while it is awaited.
  for (let i = 0; i < workers.length; i++) {
    await workers[i]!.catch((err) => (failure ??= { err }));
  }
  if (failure) throw failure.err;
  return n;
}

/** Milliseconds until the next ready Mode C Hub falls due (an interval after its last check, or its lease running out). */
async function nextDueInMs(app: AppContext, s: ProvisionerSettings, now: Date): Promise<number | undefined> {
  // GREATEST skips a NULL lease; a Hub never checked is due now.
  const due = app.db.raw('min(GREATEST(COALESCE(link_checked_at + make_interval(secs => ?), ?), lease_until)) AS due', [s.linkCheckMs / 1000, now]);
  const row = (await app.db(HUBS).where({ status: 'ready', mode: 'C' }).whereNull('deleted_at').first(due)) as { due: Date | string | null } | undefined;
  return row?.due ? Math.max(0, new Date(row.due).getTime() - now.getTime()) : undefined;
}

/**
 * Checks due links, then sleeps until the next Hub falls due, at least the provisioner's poll and
 * at most one interval (a Hub made ready meanwhile is due an interval after that, so it is not
 * missed). A pass that fails (the database out of reach) backs off as the provisioner does.
 * The returned function stops it and waits for a pass in flight.
 */
export function startLinkMonitor(app: AppContext, s: ProvisionerSettings, clock: Clock = systemClock): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  let failures = 0;
  const pass = async () => {
    await recheckHubLinks(app, s, clock);
    const due = await nextDueInMs(app, s, clock());
    if (failures) app.logger.info({ failures }, 'hub link monitor: passes work again');
    failures = 0;
    return due === undefined ? s.linkCheckMs : Math.min(Math.max(due, s.pollMs), s.linkCheckMs);
  };
  const loop = () => {
    if (stopped) return;
    inFlight = pass()
      .catch((err) => {
        failures++;
        const retryInMs = Math.min(pollBackoffMs(failures, s), s.linkCheckMs);
        const fields = { err: { message: (err as Error).message }, failures, retryInMs };
        if (failures === 1) app.logger.error(fields, 'hub link monitor pass failed (database unreachable?); retrying with backoff');
        else app.logger.debug(fields, 'hub link monitor pass failed');
        return retryInMs;
      })
      .then((sleepMs) => {
        if (!stopped) timer = setTimeout(loop, sleepMs);
      });
  };
  timer = setTimeout(loop, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
  };
}
