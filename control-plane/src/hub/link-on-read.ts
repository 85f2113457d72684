import type { AppContext } from '../context.js';
import type { HubRow } from './hub-store.js';
import { capWaits, isWaitCut, withConnectionBy } from './bounded-wait.js';
import { DeadlineSlots } from './link-slots.js';
import { claimHub, probeClaimed, recordLinkCheck, unleasedHubs } from './link-monitor.js';
import { HUBS } from './hub-store.js';
import type { ProvisionerSettings } from './settings.js';

/**
 * A failing link is checked again when read only if its last check is at least this old: a
 * customer fixing the endpoint sees green on the next read, and a client polling a broken link
 * costs the endpoint one probe per floor, not one per read.
 */
export const READ_CHECK_FLOOR_MS = 30_000;
/**
 * The longest a read waits for that check, queueing and database waits included, a free pooled
 * connection among them (a result found at its very end gets SAVE_MIN_MS more to be saved).
 * Terraform refreshes resources ten at a time; with this bound each read of a Hub whose endpoint
 * does not answer, whose row another request holds locked, or while other requests hold every
 * connection of the pool, costs about two seconds, however many are read, and the answer then is
 * the last check's.
 */
export const READ_CHECK_BUDGET_MS = 2_000;
/** Checks brought forward by reads that one replica runs at once. */
export const READ_CHECK_CONCURRENCY = 4;
/** Less than this is too short for a TLS handshake with a distant endpoint: not started, so not misreported. */
const MIN_PROBE_MS = 250;
/**
 * A probe may use the budget to its end; saving what it found then gets this long, so a fixed
 * endpoint's answer is not thrown away for want of a few milliseconds (the read waits at most
 * this much past its budget).
 */
const SAVE_MIN_MS = 250;

type LinkFacts = Pick<HubRow, 'id' | 'mode' | 'status' | 'deleted_at' | 'link_error' | 'link_checked_at'>;

/** Per replica (an AppContext is one): the checks under way by Hub id, and the slots they share. */
interface ReadChecks {
  inFlight: Map<string, Promise<boolean>>;
  slots: DeadlineSlots;
}
const replicas = new WeakMap<AppContext, ReadChecks>();
function readChecksOf(app: AppContext): ReadChecks {
  let r = replicas.get(app);
  if (!r) replicas.set(app, (r = { inFlight: new Map(), slots: new DeadlineSlots(READ_CHECK_CONCURRENCY, MIN_PROBE_MS) }));
  return r;
}

const staleBefore = (now: number) => new Date(now - READ_CHECK_FLOOR_MS);

function worthChecking(hub: LinkFacts, now: number): boolean {
  if (hub.mode !== 'C' || hub.status !== 'ready' || hub.deleted_at || hub.link_error === null) return false;
  return !hub.link_checked_at || new Date(hub.link_checked_at) <= staleBefore(now);
}

/**
 * Leases the Hub with the monitor's claim, under the same conditions re-read in the claim's
 * transaction: a check by another replica (or the monitor) since this read saw the row, or under
 * way now, leaves nothing to claim. A probe that times out records nothing (a short timeout is no
 * verdict on the endpoint) and keeps the Hub leased for the floor, so the reads after it do not
 * each wait again; the monitor's next full check speaks for it.
 *
 * The database work is bounded too, the wait for a pooled connection (withConnectionBy) and for
 * locks and statements (capWaits): the claim by the deadline, saving a result by the deadline or
 * SAVE_MIN_MS, whichever is later. A wait cut short (the Hub's row locked by a PATCH or DELETE, a
 * table lock, every connection of the pool taken by other requests) is no verdict either: nothing
 * is recorded, the claim's lease stands (the row it would shorten may be the one locked), and the
 * read answers the last check.
 */
async function checkNow(app: AppContext, s: ProvisionerSettings, hubId: string, deadline: number): Promise<boolean> {
  try {
    return await claimProbeRecord(app, s, hubId, deadline);
  } catch (err) {
    if (!isWaitCut(err)) throw err;
    app.logger.info({ hub_id: hubId }, 'hub link check on read: the database did not answer within the read\'s budget (the Hub locked by another request, or no pooled connection free?); answered the last check');
    return false;
  }
}

async function claimProbeRecord(app: AppContext, s: ProvisionerSettings, hubId: string, deadline: number): Promise<boolean> {
  const now = new Date();
  const candidates = unleasedHubs(app, now)
    .where({ id: hubId })
    .whereNotNull('link_error')
    .where((q) => q.whereNull('link_checked_at').orWhere('link_checked_at', '<=', staleBefore(now.getTime())));
  const claimed = await claimHub(withConnectionBy(app, deadline), s, candidates, now, deadline);
  if (!claimed) return false;
  const timeoutMs = deadline - Date.now();
  const result = timeoutMs >= MIN_PROBE_MS ? await probeClaimed(app, claimed, timeoutMs) : undefined;
  const saveBy = Math.max(deadline, Date.now() + SAVE_MIN_MS);
  const saving = withConnectionBy(app, saveBy);
  if (!result || (!result.ok && result.timedOut)) {
    await saving.db.transaction(async (trx) => {
      await capWaits(trx, saveBy);
      await trx(HUBS).where({ id: claimed.id, lease_until: claimed.lease_until }).update({ lease_until: new Date(Date.now() + READ_CHECK_FLOOR_MS) });
    });
    return false;
  }
  await recordLinkCheck(saving, claimed, result, new Date(), 'read', saveBy);
  return true;
}

/**
 * A read of a ready Mode C Hub whose link is failing brings its periodic check forward, so a
 * fixed endpoint reads green at once instead of up to an interval later. Waits at most
 * READ_CHECK_BUDGET_MS; a read while this replica already checks that Hub waits for that check
 * instead of starting another. Returns whether a check was recorded (the caller reads the Hub
 * again); false leaves the last answer standing.
 */
export async function checkFailingLinkOnRead(app: AppContext, s: ProvisionerSettings, hub: LinkFacts): Promise<boolean> {
  const now = Date.now();
  if (!worthChecking(hub, now)) return false;
  const r = readChecksOf(app);
  let check = r.inFlight.get(hub.id);
  if (!check) {
    check = r.slots
      .run(now + READ_CHECK_BUDGET_MS, (deadline) => checkNow(app, s, hub.id, deadline))
      .then((recorded) => recorded ?? false)
      .catch((err) => {
        // The read still answers, with what the last check found.
        app.logger.warn({ hub_id: hub.id, err: { message: (err as Error).message?.slice(0, 200) } }, 'hub link check on read failed to run');
        return false;
      })
      .finally(() => r.inFlight.delete(hub.id));
    r.inFlight.set(hub.id, check);
  }
  return check;
}
