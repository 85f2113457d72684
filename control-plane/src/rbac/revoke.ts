import type { Tx } from '../db/connection.js';

/**
 * Active SCIM users (of `userIds`, or of the whole tenant) who hold no mapped role: in a tenant
 * that uses RBAC groups they have no access. Set-based, so a directory-wide change is one query.
 */
export async function usersWithoutRole(trx: Tx, tenantId: string, userIds: string[] | 'all'): Promise<string[]> {
  if (userIds !== 'all' && userIds.length === 0) return [];
  let q = trx('scim_users as u')
    .where('u.tenant_id', tenantId)
    .where('u.active', true)
    .whereNotExists(
      trx('scim_group_members as m')
        .join('scim_groups as g', 'g.id', 'm.group_id')
        .join('group_mappings as gm', function () {
          this.on('gm.tenant_id', '=', 'g.tenant_id').andOn('gm.group_name', '=', 'g.display_name_lower');
        })
        .whereRaw('m.user_id = u.id')
        .select(trx.raw('1')),
    );
  if (userIds !== 'all') q = q.whereIn('u.id', userIds);
  return ((await q.select('u.id')) as Array<{ id: string }>).map((r) => r.id);
}

/** Revokes the live user sessions of these subjects; returns how many were revoked per subject. */
export async function revokeUserSessions(trx: Tx, tenantId: string, subjectIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < subjectIds.length; i += 1000) {
    const rows = (await trx('auth_sessions')
      .where({ tenant_id: tenantId, subject_type: 'user' })
      .whereIn('subject_id', subjectIds.slice(i, i + 1000))
      .whereNull('revoked_at')
      .andWhere('expires_at', '>', new Date())
      .update({ revoked_at: new Date() })
      .returning('subject_id')) as Array<{ subject_id: string }>;
    for (const r of rows) out.set(r.subject_id, (out.get(r.subject_id) ?? 0) + 1);
  }
  return out;
}

/** Sessions of people known only from a CSV roster (subject rm_...): they hold no group, so no role under RBAC. */
export async function revokeRosterOnlySessions(trx: Tx, tenantId: string): Promise<number> {
  return trx('auth_sessions')
    .where({ tenant_id: tenantId, subject_type: 'user' })
    .where('subject_id', 'like', 'rm\\_%')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', new Date())
    .update({ revoked_at: new Date() });
}
