import type { TenantScope } from '../db/tenant-scope.js';
import { extendScimSync, type ScimSyncReport } from '../scim/sync-report.js';
import { EMAIL, scimEmail } from './email.js';
import { requestRepublish } from '../skills/entitlements.js';
import { followAddressChanges, type Move } from './address-moves.js';
import { ADDRESS_SQL, byPreference, departures, directoryIds, HOLDER_COLUMNS, holderAfterVanished, type Holder } from './holders.js';
import { lockRoster, upsertMembers, type Audit, type IncomingMember, type UpsertTally } from './members.js';

/**
 * Step 8 from SCIM: every `POST /api/v1/roster/scim:sync` also brings the tenant's SCIM users
 * into the roster, classified by cc-061, inside the sync's own transaction. The whole
 * directory is walked in pages (members whose data did not change cost a read, not a write or
 * an event), so a user the previous sync missed is never lost. Overrides set by an admin are
 * kept, as with CSV imports. One member per address: when several SCIM users hold it (one per
 * directory during a migration), the member is active while any of them is, and takes its data
 * from the one holders.ts prefers; a user whose address changed takes their member along
 * (address-moves.ts).
 */

const PAGE = 500;
const LISTED = 100;

interface ScimUserRow {
  id: string;
  seq: number | string;
  user_name: string;
  email: string | null;
  given_name: string | null;
  family_name: string | null;
  title: string | null;
  department: string | null;
  active: boolean;
  manager_email: string | null;
}

export interface RosterSyncReport extends UpsertTally {
  members: number;
  deactivated: number;
  /** Members that followed their SCIM user to a new address. */
  moved: number;
  skipped_without_email: number;
  unmatched_users: Array<{ scim_user_id: string; email: string; title: string | null; candidate: string | null; confidence: number }>;
}

const clip = (v: string | null, max: number) => (v ? v.trim().slice(0, max) || null : null);

function toMember(u: ScimUserRow): IncomingMember | null {
  const email = scimEmail(u.email, u.user_name);
  if (!email || email.length > 254) return null;
  const manager = u.manager_email?.trim().toLowerCase() ?? null;
  return {
    email,
    first_name: clip(u.given_name, 200),
    last_name: clip(u.family_name, 200),
    title: clip(u.title, 300),
    department: clip(u.department, 200),
    manager_email: manager && EMAIL.test(manager) ? manager : null,
    scim_user_id: u.id,
    active: u.active,
  };
}

/**
 * For every address two or more SCIM users hold, the one that speaks for the person (holders.ts):
 * the walk below meets the copies in creation order, so the choice is made before it starts.
 * Usually few rows; the grouping is one pass over the tenant's users.
 */
async function sharedAddressOwners(scope: TenantScope): Promise<Map<string, string>> {
  const shared = scope.table('scim_users as s').groupByRaw(ADDRESS_SQL('s')).havingRaw('count(*) > 1').select(scope.db.raw(ADDRESS_SQL('s')));
  const rows = (await scope
    .table('scim_users as u')
    .whereIn(scope.db.raw(ADDRESS_SQL('u')) as unknown as string, shared)
    .select(HOLDER_COLUMNS.map((c) => `u.${c}`))) as Holder[];
  const best = new Map<string, Holder>();
  for (const u of rows) {
    const address = scimEmail(u.email, u.user_name);
    if (!address) continue;
    const held = best.get(address);
    if (!held || byPreference(u, held) < 0) best.set(address, u);
  }
  return new Map([...best].map(([address, u]) => [address, u.id]));
}

export async function syncRosterFromScim(scope: TenantScope, audit: Audit): Promise<RosterSyncReport> {
  const out: RosterSyncReport = { members: 0, created: 0, updated: 0, unchanged: 0, matched: 0, unmatched: 0, deactivated: 0, moved: 0, skipped_without_email: 0, unmatched_users: [] };
  await lockRoster(scope);
  const moves = await followAddressChanges(scope);
  out.moved = moves.length;
  const owners = await sharedAddressOwners(scope);
  // Every address some SCIM user holds, active or not: members at any other address are stale.
  const held = new Set<string>();
  // Written this sync; catches two copies whose addresses only JavaScript lowercases alike.
  const claimed = new Set<string>();
  const accessChanged: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await scope
      .table('scim_users as u')
      .leftJoin('scim_users as m', function () {
        this.on('m.id', '=', 'u.manager_id').andOn('m.tenant_id', '=', 'u.tenant_id');
      })
      .where('u.seq', '>', after)
      .orderBy('u.seq')
      .limit(PAGE)
      .select('u.id', 'u.seq', 'u.user_name', 'u.email', 'u.given_name', 'u.family_name', 'u.title', 'u.department', 'u.active', 'm.email as manager_email')) as ScimUserRow[];
    if (page.length === 0) break;
    after = Number(page[page.length - 1]!.seq);
    const batch: IncomingMember[] = [];
    for (const u of page) {
      const m = toMember(u);
      if (!m) {
        out.skipped_without_email++;
        continue;
      }
      held.add(m.email);
      const owner = owners.get(m.email);
      if ((owner !== undefined && owner !== u.id) || claimed.has(m.email)) continue;
      claimed.add(m.email);
      batch.push(m);
    }
    const results = await upsertMembers(scope, 'scim', batch, audit, out);
    out.members += batch.length;
    results.forEach((r, i) => {
      const m = batch[i]!;
      if (r.access_changed) accessChanged.push(r.id);
      if (!r.archetype && m.active !== false && out.unmatched_users.length < LISTED) {
        out.unmatched_users.push({ scim_user_id: m.scim_user_id!, email: m.email, title: m.title, candidate: r.candidate, confidence: r.confidence });
      }
    });
  }
  // Members at an address no SCIM user holds any more (the user was deleted outright, or moved
  // to an address that had a member of its own) leave the active roster too.
  const stale = ((await scope.table('roster_members').where('source', 'scim').where('active', true).select('id', 'email')) as Array<{ id: string; email: string }>)
    .filter((r) => !held.has(r.email))
    .map((r) => r.id);
  for (let i = 0; i < stale.length; i += 1000) {
    out.deactivated += await scope.table('roster_members').whereIn('id', stale.slice(i, i + 1000)).update({ active: false, updated_at: new Date() });
  }
  accessChanged.push(...(await returnedLogins(scope)));
  if (moves.length || stale.length || accessChanged.length) await recordAccessChanges(scope, audit, moves, stale, accessChanged);
  return out;
}

/**
 * Members a CSV made at a person's login (holders.ts addressesOf), turned off because SCIM took
 * the person away, whose login an active user holds again: a rehire (a new user of that userName
 * after a DELETE, which no SCIM hook reports as a re-activation: rbac/lifecycle.ts turns such
 * members on only for a user going from inactive to active), a re-activation that this sync is
 * the first to see, or the person provisioned by a new directory after the old one was removed
 * (Terraform replaces a claresia_scim_directory whose idp changes: destroy, then create). The walk
 * above writes members at roster addresses only, so without this the member stayed off until the
 * next import. It is turned on and tied to the user that speaks for the address, as an import of
 * the row would (members.ts); a login that a departed person has as work email stays off
 * (holdsAs). Only members SCIM took away, which are tied to the user it took: one a replace import
 * took off (off_by_file), or that nobody SCIM took away (tied to no user), is the file's to give
 * back.
 */
async function returnedLogins(scope: TenantScope): Promise<string[]> {
  const off = (await scope
    .table('roster_members as r')
    .leftJoin('scim_users as u', function () {
      this.on('u.id', '=', 'r.scim_user_id').andOn('u.tenant_id', '=', 'r.tenant_id');
    })
    .where('r.source', 'csv')
    .where('r.active', false)
    .where('r.off_by_file', false)
    .whereNotNull('r.scim_user_id')
    // A deleted user is inactive too (scim/users.ts deleteUser de-provisions first); one gone
    // altogether left with its directory, which de-provisioned it first as well.
    .where((w) => w.where('u.active', false).orWhereNull('u.id'))
    .select('r.id', 'r.email')) as Array<{ id: string; email: string }>;
  if (!off.length) return [];
  const known = await departures(scope, new Set(off.map((m) => m.email)));
  const directories = await directoryIds(scope);
  const now = new Date();
  const back: string[] = [];
  for (const m of off) {
    const holder = await holderAfterVanished(scope, m.email, known, directories);
    if (holder === undefined) continue;
    await scope.table('roster_members').where('id', m.id).update({ active: true, scim_user_id: holder, updated_at: now });
    back.push(m.id);
  }
  return back;
}

/**
 * Who gets skills, and under which address, changed without an archetype changing (which would
 * have asked for a publish itself): members moved, left the active roster, turned active or
 * inactive, or now follow another SCIM user (whose state decides their grants). Recorded, and a
 * publish is queued so the platforms follow.
 */
async function recordAccessChanges(scope: TenantScope, audit: Audit, moves: Move[], deactivated: string[], changed: string[]): Promise<void> {
  const event = (await audit({
    type: 'roster.scim_members_changed',
    data: {
      moved: moves.slice(0, LISTED),
      deactivated: deactivated.slice(0, LISTED),
      access_changed: changed.slice(0, LISTED),
      counts: { moved: moves.length, deactivated: deactivated.length, access_changed: changed.length },
    },
  })) as { actor: string };
  await requestRepublish(scope, event.actor, 'roster members moved or (de)activated by a SCIM sync');
}

/** Registered once at load: the SCIM module calls it inside every sync. */
extendScimSync(async (_trx, scope, report: ScimSyncReport, audit) => {
  report.roster = await syncRosterFromScim(scope, audit);
});
