import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvent } from '../audit/chain.js';
import { onScimChange, type ScimChange } from '../scim/hooks.js';
import { requestRepublish } from '../skills/entitlements.js';
import { tenantUsesRbac } from './access.js';
import { scimEmail } from '../roster/email.js';
import { followAddressChange, type Move } from '../roster/address-moves.js';
import { addressesOf, directoryIds, holdersOf, holdsAs, type Holder, type HolderQuery } from '../roster/holders.js';
import { ensureDefaultMappings } from './mappings.js';
import { revokeRosterOnlySessions, revokeUserSessions, usersWithoutRole } from './revoke.js';
import { isRbacGroup, RBAC_GROUP_PREFIX } from './roles.js';

/**
 * What SCIM changes mean for access, inside the SCIM write's own transaction (so the change,
 * its consequences and their events commit together or not at all):
 *
 * - De-provisioning (active true to false by PATCH, PUT or DELETE): every session of the user is
 *   revoked (the next call is 401), their roster member becomes inactive (so they leave every
 *   archetype's entitlement set; a member a CSV made is tied to the user, so a later import
 *   leaves it off) and a publish is queued (`rbac.access_revoked`). SCIM itself
 *   records `user_deactivated` with actor `<idp>:scim`. When another directory still holds an
 *   active user with the same address (one person in two IdPs), the member stays active and the
 *   sessions stay: only that copy is gone. A member left at the user's old address (changed since
 *   the last sync) is moved to the current one first (roster/address-moves.ts).
 * - Re-activation: the roster member is active again, a publish is queued, `user_reactivated`
 *   is recorded. Sessions stay revoked: the user signs in again. A member at the user's login
 *   that a replace import took off stays off: the file, not SCIM, took it (off_by_file).
 * - A `claresia-*` group created, renamed, deleted or changing members: users left in no mapped
 *   group lose their sessions (`rbac.access_revoked`) and a publish is queued. The first
 *   `claresia-*` group of a tenant switches it to RBAC: everyone without a mapped group loses
 *   access at once (`rbac.enabled`).
 */

interface Member {
  id: string;
  email: string;
  source: string;
  active: boolean;
  scim_user_id: string | null;
  off_by_file: boolean;
}

/** The user's roster address (null once they have none) and the members it concerns: theirs by id, and those at the addresses the user holds (roster address, login). */
async function rosterMembersOf(scope: TenantScope, userId: string): Promise<{ user: Addressed | null; address: string | null; members: Member[] }> {
  const u = (await scope.table('scim_users').where('id', userId).first('email', 'user_name')) as Addressed | undefined;
  const address = u ? scimEmail(u.email, u.user_name) : null;
  const held = u ? addressesOf(u) : [];
  const members = (await scope
    .table('roster_members')
    .where((q) => {
      q.where('scim_user_id', userId);
      if (held.length) q.orWhereIn('email', held);
    })
    .orderBy('id')
    .select('id', 'email', 'source', 'active', 'scim_user_id', 'off_by_file')) as Member[];
  return { user: u ?? null, address, members };
}

type Addressed = { email: string | null; user_name: string };

/**
 * Whether the departing user held the address of a member that active `holders` keep: as work
 * email, or as login where the holders too hold it only as login (the same UPN in another
 * directory). Where an active user has it as work email, the departing user's login never held
 * it (holdsAs): that member is a bystander's, which this departure neither kept nor touched.
 */
function heldByLeaver(u: Addressed | null, address: string, holders: readonly Holder[]): boolean {
  const as = u ? holdsAs(u, address) : null;
  if (as === 'roster') return true;
  return as === 'login' && holders.every((h) => holdsAs(h, address) === 'login');
}

/**
 * A member follows the person, not one SCIM user (roster/holders.ts): it is active while any SCIM
 * user holding its address is. De-provisioning one copy while another is active leaves it
 * active, pointed at that copy (whose state is what decides its grants); re-activation turns on
 * only a member whose address the user holds (one left at an old address stays off). A login
 * holds a member's address only where no de-provisioned user has it as work email (holdsAs): an
 * active user signing in as a departed person's address neither keeps nor takes their member.
 */
async function settle(scope: TenantScope, m: Member, active: boolean, live: HolderQuery, userId: string): Promise<{ flipped: boolean; held: boolean; holders: Holder[] }> {
  const holders = await holdersOf(scope, m.email, { ...live, logins: true });
  const held = holders.length > 0;
  // A member at the person's login that a replace import took off is the file's to give back
  // (roster/csv-replace.ts); one at their work email is the IdP's, as the next sync would say.
  const filesToGive = active && m.off_by_file && held && holdsAs(holders[0]!, m.email) === 'login';
  const flipped = m.active !== active && held === active && !filesToGive;
  const follows = held && m.scim_user_id !== null && !holders.some((h) => h.id === m.scim_user_id);
  // A member a CSV made points at no user: tied to this one when this departure takes it off, it
  // stays with the person, so what reads the member later (a re-import, the grants, a rehire's
  // sync) sees whom SCIM took away. One already off (a replace import took it) is not claimed:
  // SCIM did not take it.
  const claims = !active && !held && m.scim_user_id === null && m.active;
  if (flipped || follows || claims) {
    const link = follows ? { scim_user_id: holders[0]!.id } : claims ? { scim_user_id: userId } : {};
    await scope.table('roster_members').where('id', m.id).update({ ...(flipped ? { active, off_by_file: false } : {}), ...link, updated_at: new Date() });
  }
  return { flipped, held, holders };
}

async function onUser(trx: Tx, change: ScimChange, keys: KeyRing, actor: string): Promise<void> {
  if (change.op !== 'deprovisioned' && change.op !== 'reactivated') return;
  const scope = new TenantScope(trx, change.tenantId);
  const active = change.op === 'reactivated';
  // Other active users of the tenant holding an address; not the ones this change de-provisions.
  const live: HolderQuery = { active: true, except: new Set(active ? [] : change.userIds), directories: await directoryIds(scope) };
  for (const userId of change.userIds) {
    const { user, address, members } = await rosterMembersOf(scope, userId);
    // A user whose address changed since the last sync takes their member along first, so the
    // member turned off (or on) here is the one at their current address.
    const moved: Move[] = [];
    for (const m of members) {
      const move = address && m.scim_user_id === userId ? await followAddressChange(scope, m, userId, address, live.directories!) : null;
      if (move) {
        m.email = move.to;
        moved.push(move);
      }
    }
    const flip: string[] = [];
    const kept: string[] = [];
    const gone: string[] = [];
    const heldAt = new Map<string, boolean>();
    for (const m of members) {
      const { flipped, held, holders } = await settle(scope, m, active, live, userId);
      heldAt.set(m.email, held);
      if (flipped) flip.push(m.id);
      if (!active && !(held && m.active)) gone.push(m.id);
      // Theirs by tie too: a member left at the address they had before their last change.
      else if (!active && (m.scim_user_id === userId || heldByLeaver(user, m.email, holders))) kept.push(m.id);
    }
    // The person is still active through another copy: their sessions are not taken away. The
    // member at their address has answered that already, when there is one.
    const stillHeld = !active && !!address && (heldAt.get(address) ?? (await holdersOf(scope, address, live)).length > 0);
    const revoked = active ? new Map<string, number>() : await revokeUserSessions(trx, change.tenantId, [...(stillHeld ? [] : [userId]), ...gone]);
    const publish = await requestRepublish(scope, actor, `user ${userId} ${active ? 'reactivated' : 'deactivated'}`);
    if (!active) {
      // `user_deactivated` (written by SCIM) records the change; this records what it took away.
      await appendEvent(trx, keys, change.tenantId, {
        type: 'rbac.access_revoked',
        actor,
        subject: userId,
        data: {
          reason: 'deprovisioned',
          directory_id: change.directoryId,
          sessions_revoked: [...revoked.values()].reduce((a, b) => a + b, 0),
          roster_members_deactivated: flip,
          // This user's members (tied to them, or at an address they held) another active SCIM user keeps on the roster.
          ...(kept.length ? { roster_members_kept_active: kept } : {}),
          ...(moved.length ? { roster_members_moved: moved } : {}),
          distribution_request: publish.id,
        },
      });
    } else {
      await appendEvent(trx, keys, change.tenantId, {
        type: 'user_reactivated',
        actor,
        subject: userId,
        data: { directory_id: change.directoryId, roster_members_reactivated: flip, ...(moved.length ? { roster_members_moved: moved } : {}), distribution_request: publish.id },
      });
    }
  }
}

async function onGroup(trx: Tx, change: ScimChange, keys: KeyRing, actor: string): Promise<void> {
  const rbacNow = isRbacGroup(change.groupName);
  if (!rbacNow && !isRbacGroup(change.previousGroupName)) return;
  const tenantId = change.tenantId;
  const scope = new TenantScope(trx, tenantId);
  await ensureDefaultMappings(trx, keys, tenantId, actor);
  const renamed = change.previousGroupName !== undefined;
  const added = change.addedUserIds ?? [];
  const removed = change.removedUserIds ?? [];
  if (!renamed && !added.length && !removed.length && change.op !== 'created') return;

  const becameRbacGroup = rbacNow && (change.op === 'created' || (renamed && !isRbacGroup(change.previousGroupName)));
  const rbacGroups = becameRbacGroup ? Number(((await scope.table('scim_groups').where('display_name_lower', 'like', `${RBAC_GROUP_PREFIX}%`).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n) : 0;
  if (becameRbacGroup && rbacGroups === 1) {
    // The tenant just started using RBAC groups: roster-based access ends for everyone without one.
    const unmapped = await usersWithoutRole(trx, tenantId, 'all');
    const revoked = await revokeUserSessions(trx, tenantId, unmapped);
    const rosterOnly = await revokeRosterOnlySessions(trx, tenantId);
    const publish = await requestRepublish(scope, actor, `RBAC enabled by group ${change.groupName}`);
    await appendEvent(trx, keys, tenantId, {
      type: 'rbac.enabled',
      actor,
      subject: change.groupId ?? null,
      data: { group: change.groupName, users_without_role: unmapped.length, sessions_revoked: [...revoked.values()].reduce((a, b) => a + b, 0) + rosterOnly, distribution_request: publish.id },
    });
    return;
  }

  let candidates: string[];
  if (renamed && change.groupId) {
    const current = (await scope.table('scim_group_members').where('group_id', change.groupId).select('user_id')) as Array<{ user_id: string }>;
    candidates = [...new Set([...current.map((r) => r.user_id), ...removed])];
  } else {
    candidates = [...new Set(removed)];
  }
  // The last `claresia-*` group gone (or renamed away) hands the tenant back to roster-based access.
  const lost = (await tenantUsesRbac(trx, tenantId)) ? await usersWithoutRole(trx, tenantId, candidates) : [];
  const revoked = await revokeUserSessions(trx, tenantId, lost);
  const publish = await requestRepublish(scope, actor, `group ${change.groupName} changed`);
  for (const userId of lost) {
    await appendEvent(trx, keys, tenantId, {
      type: 'rbac.access_revoked',
      actor,
      subject: userId,
      data: { reason: 'no_rbac_group', group: change.groupName, ...(renamed ? { renamed_from: change.previousGroupName } : {}), sessions_revoked: revoked.get(userId) ?? 0, distribution_request: publish.id },
    });
  }
}

onScimChange(async (trx, change, keys) => {
  const actor = `${change.idp}:scim`;
  if (change.kind === 'user') await onUser(trx, change, keys, actor);
  else await onGroup(trx, change, keys, actor);
});
