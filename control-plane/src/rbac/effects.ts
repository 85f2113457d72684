import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvent } from '../audit/chain.js';
import { requestRepublish } from '../skills/entitlements.js';
import { tenantUsesRbac } from './access.js';
import { revokeUserSessions, usersWithoutRole } from './revoke.js';

/**
 * After a mapping changed: the SCIM users in the groups it names (before and after) may have
 * lost their only role, and their archetype grants may differ. Those left without a role lose
 * their sessions at once (`rbac.access_revoked`); a publish is queued when anyone is affected.
 */
export async function applyMappingChange(trx: Tx, keys: KeyRing, tenantId: string, actor: string, groups: string[], mappingId: string): Promise<{ affected: number; revoked: string[] }> {
  const scope = new TenantScope(trx, tenantId);
  const members = (await scope
    .table('scim_group_members as m')
    .join('scim_groups as g', 'g.id', 'm.group_id')
    .whereIn('g.display_name_lower', [...new Set(groups)])
    .distinct('m.user_id')) as Array<{ user_id: string }>;
  if (!members.length) return { affected: 0, revoked: [] };
  const ids = members.map((m) => m.user_id);
  const lost = (await tenantUsesRbac(trx, tenantId)) ? await usersWithoutRole(trx, tenantId, ids) : [];
  const sessions = await revokeUserSessions(trx, tenantId, lost);
  const publish = await requestRepublish(scope, actor, `group mapping ${mappingId} changed`);
  for (const userId of lost) {
    await appendEvent(trx, keys, tenantId, {
      type: 'rbac.access_revoked',
      actor,
      subject: userId,
      data: { reason: 'mapping_changed', mapping_id: mappingId, groups, sessions_revoked: sessions.get(userId) ?? 0, distribution_request: publish.id },
    });
  }
  return { affected: ids.length, revoked: lost };
}
