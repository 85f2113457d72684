import type { TenantScope } from '../db/tenant-scope.js';
import { ApiError } from '../http/errors.js';
import { liveAddresses } from './holders.js';

/**
 * `POST /api/v1/roster/csv?mode=replace`: the file is the whole roster, so an active member a
 * CSV wrote and the file no longer lists has left and turns inactive (its grants go at the next
 * publish). Members SCIM wrote, and members an active SCIM user holds, are the IdP's to remove
 * and are left alone. One taken off at a person's login stays off until a file lists it again,
 * even if SCIM later takes the person away and brings them back (roster_members.off_by_file).
 * A CSV member already off when the file leaves it out (SCIM took the person away first) becomes
 * the file's in the same way (keepOffUnlisted): the file is the whole truth whichever came first.
 *
 * A file cut short (an export that stopped half way, a filtered view saved by mistake, another
 * team's file) would otherwise take most of the company off the platforms. So a replace that
 * would take off more than a quarter of the active CSV members (and more than five) is refused
 * with nothing written, unless the caller says how many removals it expects (`max_removals`).
 */

export const GUARD_SHARE = 0.25;
export const GUARD_FLOOR = 5;

/** How many members a replace import may take off the roster when the caller names no limit. */
export function defaultMaxRemovals(activeCsvMembers: number): number {
  return Math.max(GUARD_FLOOR, Math.floor(activeCsvMembers * GUARD_SHARE));
}

/** The active CSV members before the import: what the guard measures a file against. */
export async function activeCsvMembers(scope: TenantScope): Promise<number> {
  const [row] = (await scope.table('roster_members').where({ source: 'csv', active: true }).count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row!.n);
}

export interface Removed {
  id: string;
  email: string;
}

/**
 * Turns inactive every active CSV member `listed` does not name, in the import's transaction.
 * Throws (409, naming max_removals) when that is more than `maxRemovals`; the caller's
 * transaction then rolls back the whole import.
 */
export async function deactivateUnlisted(scope: TenantScope, listed: ReadonlySet<string>, maxRemovals: number, before: number, explicit: boolean): Promise<Removed[]> {
  const active = (await scope.table('roster_members').where({ source: 'csv', active: true }).orderBy('email').select('id', 'email')) as Removed[];
  const unlisted = active.filter((m) => !listed.has(m.email));
  const held = await liveAddresses(scope, unlisted.map((m) => m.email));
  const removed = unlisted.filter((m) => !held.has(m.email));
  if (removed.length > maxRemovals) {
    const why = explicit
      ? `more than the ${maxRemovals} that max_removals allows`
      : `more than the ${maxRemovals} a replace may take off unasked (a quarter of the ${before} active CSV members, at least ${GUARD_FLOOR})`;
    throw new ApiError(
      409,
      'too_many_removals',
      `mode=replace would take ${removed.length} members off the roster (for example ${removed[0]!.email}), ${why}; nothing was imported. If the file really is the whole roster, send it again with max_removals=${removed.length}`,
      'max_removals',
    );
  }
  const now = new Date();
  for (let i = 0; i < removed.length; i += 1000) {
    const ids = removed.slice(i, i + 1000).map((m) => m.id);
    // Marked as the file's: SCIM bringing the person back gives back what SCIM took, not this.
    await scope.table('roster_members').whereIn('id', ids).update({ active: false, off_by_file: true, updated_at: now });
  }
  return removed;
}

/**
 * Marks as the file's (off_by_file) every inactive CSV member `listed` does not name and the flag
 * does not mark yet, in the import's transaction. Without it, a person SCIM de-provisioned before
 * the file left them out came back with their old member, grants and CSV data at a rehire's sync
 * or a re-activation, though the HR file had dropped them. Nothing is turned off here, so no grant
 * changes and the removal guard does not count them. Members an active SCIM user holds stay the
 * IdP's, as in deactivateUnlisted. Run after it, which marks the members it takes off itself.
 */
export async function keepOffUnlisted(scope: TenantScope, listed: ReadonlySet<string>): Promise<Removed[]> {
  const off = (await scope.table('roster_members').where({ source: 'csv', active: false, off_by_file: false }).orderBy('email').select('id', 'email')) as Removed[];
  const unlisted = off.filter((m) => !listed.has(m.email));
  const held = await liveAddresses(scope, unlisted.map((m) => m.email));
  const kept = unlisted.filter((m) => !held.has(m.email));
  const now = new Date();
  for (let i = 0; i < kept.length; i += 1000) {
    await scope.table('roster_members').whereIn('id', kept.slice(i, i + 1000).map((m) => m.id)).update({ off_by_file: true, updated_at: now });
  }
  return kept;
}
