import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvent } from '../audit/chain.js';
import { onScimChange, type ScimChange } from '../scim/hooks.js';
import { requestRepublish } from '../skills/entitlements.js';
import { tenantUsesRbac } from './access.js';
import { scimEmail } from '../roster/email.js';
import { ensureDefaultMappings } from './mappings.js';
import { revokeRosterOnlySessions, revokeUserSessions, usersWithoutRole } from './revoke.js';
import { isRbacGroup, RBAC_GROUP_PREFIX } from './roles.js';

/**
 * What SCIM changes mean for access, inside the SCIM write's own transaction (so the change,
 * its consequences and their events commit together or not at all):
 *
 * - De-provisioning (active true to false by PATCH, PUT or DELETE): every session of the user is
 *   revoked (the next call is 401), their roster member becomes inactive (so they leave every
 *   archetype's entitlement set) and a publish is queued (`rbac.access_revoked`). SCIM itself
 *   records `user_deactivated` with actor `<idp>:scim`.
 * - Re-activation: the roster member is active again, a publish is queued, `user_reactivated`
 *   is recorded. Sessions stay revoked: the user signs in again.
 * - A `claresia-*` group created, renamed, deleted or changing members: users left in no mapped
 *   group lose their sessions (`rbac.access_revoked`) and a publish is queued. The first
 *   `claresia-*` group of a tenant switches it to RBAC: everyone without a mapped group loses
 *   access at once (`rbac.enabled`).
 */

async function rosterMembersOf(scope: TenantScope, userId: string): Promise<Array<{ id: string; active: boolean }>> {
  const u = await scope.table('scim_users').where('id', userId).first('email', 'user_name');
  const email = u ? scimEmail(u.email, u.user_name) : null;
  return (await scope
    .table('roster_members')
    .where((q) => {
      q.where('scim_user_id', userId);
      if (email) q.orWhere('email', email);
    })
    .select('id', 'active')) as Array<{ id: string; active: boolean }>;
}

async function onUser(trx: Tx, change: ScimChange, keys: KeyRing, actor: string): Promise<void> {
  if (change.op !== 'deprovisioned' && change.op !== 'reactivated') return;
  const scope = new TenantScope(trx, change.tenantId);
  const active = change.op === 'reactivated';
  for (const userId of change.userIds) {
    const members = await rosterMembersOf(scope, userId);
    const flip = members.filter((m) => m.active !== active).map((m) => m.id);
    if (flip.length) await scope.table('roster_members').whereIn('id', flip).update({ active, updated_at: new Date() });
    const revoked = active ? new Map<string, number>() : await revokeUserSessions(trx, change.tenantId, [userId, ...members.map((m) => m.id)]);
    const publish = await requestRepublish(scope, actor, `user ${userId} ${active ? 'reactivated' : 'deactivated'}`);
    if (!active) {
      // `user_deactivated` (written by SCIM) records the change; this records what it took away.
      await appendEvent(trx, keys, change.tenantId, {
        type: 'rbac.access_revoked',
        actor,
        subject: userId,
        data: { reason: 'deprovisioned', directory_id: change.directoryId, sessions_revoked: [...revoked.values()].reduce((a, b) => a + b, 0), roster_members_deactivated: flip, distribution_request: publish.id },
      });
    } else {
      await appendEvent(trx, keys, change.tenantId, {
        type: 'user_reactivated',
        actor,
        subject: userId,
        data: { directory_id: change.directoryId, roster_members_reactivated: flip, distribution_request: publish.id },
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
