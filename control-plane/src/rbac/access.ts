import type { Queryable } from '../db/connection.js';
import { scimEmail } from '../roster/email.js';
import { RBAC_GROUP_PREFIX, RANK_SQL, roleOfRank, type Role } from './roles.js';

/**
 * Who may use the API and receive skills, derived on demand from SCIM state and the group
 * mappings (nothing is cached, so a change applies to the very next request):
 *
 * - A tenant "uses RBAC groups" once any of its SCIM directories holds a `claresia-*` group.
 *   Then a user's role is the highest role mapped to their groups, and a user in no mapped
 *   group has no access at all (as if de-provisioned).
 * - A tenant without `claresia-*` groups keeps roster-based access: every active SCIM user,
 *   and every active roster member, is a `member`.
 * - An inactive (de-provisioned) user never has access.
 */

export type Denial = 'not_found' | 'inactive' | 'no_role';

export interface Access {
  /** null when the person has no access; `reason` says why. */
  role: Role | null;
  reason?: Denial;
  /** Archetypes granted by the mappings of the person's groups. */
  grantedArchetypes: string[];
  email: string | null;
  rbac: boolean;
}

const LIKE_PREFIX = `${RBAC_GROUP_PREFIX}%`;

/** Groups of user `u` joined to their mappings (`gm`); used by the queries below. */
const MAPPED = `FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
  JOIN group_mappings gm ON gm.tenant_id = g.tenant_id AND gm.group_name = g.display_name_lower WHERE m.user_id = u.id`;

export async function tenantUsesRbac(db: Queryable, tenantId: string): Promise<boolean> {
  const row = await db('scim_groups').where('tenant_id', tenantId).where('display_name_lower', 'like', LIKE_PREFIX).first(db.raw('1 AS x'));
  return !!row;
}

function decide(active: boolean, rbac: boolean, rank: number | null): Pick<Access, 'role' | 'reason'> {
  if (!active) return { role: null, reason: 'inactive' };
  if (!rbac) return { role: 'member' };
  const role = roleOfRank(rank);
  return role ? { role } : { role: null, reason: 'no_role' };
}

const list = (v: unknown): string[] => ((typeof v === 'string' ? JSON.parse(v) : v) as string[] | null) ?? [];

/** One SCIM user's access, in one query. */
export async function scimUserAccess(db: Queryable, tenantId: string, userId: string): Promise<Access> {
  const r = (
    await db.raw(
      `SELECT u.active, u.email, u.user_name,
         (SELECT max(${RANK_SQL}) ${MAPPED}) AS rank,
         (SELECT json_agg(DISTINCT gm.archetype ORDER BY gm.archetype) ${MAPPED} AND gm.archetype IS NOT NULL) AS archetypes,
         EXISTS (SELECT 1 FROM scim_groups g2 WHERE g2.tenant_id = u.tenant_id AND g2.display_name_lower LIKE ?) AS rbac
       FROM scim_users u WHERE u.tenant_id = ? AND u.id = ?`,
      [LIKE_PREFIX, tenantId, userId],
    )
  ).rows[0] as { active: boolean; email: string | null; user_name: string; rank: number | null; archetypes: unknown; rbac: boolean } | undefined;
  if (!r) return { role: null, reason: 'not_found', grantedArchetypes: [], email: null, rbac: false };
  const d = decide(r.active, r.rbac, r.rank);
  return { ...d, grantedArchetypes: d.role ? list(r.archetypes) : [], email: scimEmail(r.email, r.user_name), rbac: r.rbac };
}

/** A roster member who came from a CSV (no SCIM user): no groups, so no role once RBAC is on. */
export async function rosterMemberAccess(db: Queryable, tenantId: string, memberId: string): Promise<Access> {
  const m = await db('roster_members').where({ tenant_id: tenantId, id: memberId }).first('active', 'email');
  if (!m) return { role: null, reason: 'not_found', grantedArchetypes: [], email: null, rbac: false };
  const rbac = await tenantUsesRbac(db, tenantId);
  return { ...decide(m.active, rbac, null), grantedArchetypes: [], email: m.email, rbac };
}

/** The access of a user principal's subject: a SCIM user id (usr_...) or a roster member id (rm_...). */
export function subjectAccess(db: Queryable, tenantId: string, subjectId: string): Promise<Access> {
  return subjectId.startsWith('rm_') ? rosterMemberAccess(db, tenantId, subjectId) : scimUserAccess(db, tenantId, subjectId);
}

/**
 * The person an IdP vouched for, by email: a SCIM user of the tenant (an active one first,
 * then the oldest), else a roster member. Returns the subject id tokens are issued to.
 */
export async function findPersonByEmail(db: Queryable, tenantId: string, email: string): Promise<{ subjectId: string; access: Access } | undefined> {
  const e = email.trim().toLowerCase();
  // A user the IdP deleted is still found (inactive, after any live copy): it refuses the sign-in,
  // where falling through to the roster could find a member a later CSV import made active again.
  const user = await db('scim_users')
    .where('tenant_id', tenantId)
    .where((q) => q.whereRaw('lower(email) = ?', [e]).orWhere('user_name_lower', e))
    .orderBy([{ column: 'active', order: 'desc' }, { column: 'seq', order: 'asc' }])
    .first('id');
  if (user) return { subjectId: user.id, access: await scimUserAccess(db, tenantId, user.id) };
  const member = await db('roster_members').where({ tenant_id: tenantId, email: e }).first('id');
  if (member) return { subjectId: member.id, access: await rosterMemberAccess(db, tenantId, member.id) };
  return undefined;
}

export interface GrantAccess {
  rbac: boolean;
  /** RBAC tenants only: active SCIM users holding a role, by id, with their email and archetype grants. */
  users: Map<string, { email: string | null; archetypes: string[] }>;
  /** SCIM users that are inactive: their roster members never count, whatever the roster says. */
  inactiveUserIds: Set<string>;
}

/** Set-based access of a whole tenant, for computing its grants. */
export async function tenantGrantAccess(db: Queryable, tenantId: string): Promise<GrantAccess> {
  const rbac = await tenantUsesRbac(db, tenantId);
  const inactive = (await db('scim_users').where({ tenant_id: tenantId, active: false }).select('id')) as Array<{ id: string }>;
  const users = new Map<string, { email: string | null; archetypes: string[] }>();
  if (rbac) {
    const rows = (
      await db.raw(
        `SELECT u.id, u.email, u.user_name,
           json_agg(DISTINCT gm.archetype ORDER BY gm.archetype) FILTER (WHERE gm.archetype IS NOT NULL) AS archetypes
         FROM scim_users u JOIN scim_group_members m ON m.user_id = u.id JOIN scim_groups g ON g.id = m.group_id
           JOIN group_mappings gm ON gm.tenant_id = g.tenant_id AND gm.group_name = g.display_name_lower
         WHERE u.tenant_id = ? AND u.active GROUP BY u.id, u.email, u.user_name`,
        [tenantId],
      )
    ).rows as Array<{ id: string; email: string | null; user_name: string; archetypes: unknown }>;
    for (const r of rows) users.set(r.id, { email: scimEmail(r.email, r.user_name), archetypes: list(r.archetypes) });
  }
  return { rbac, users, inactiveUserIds: new Set(inactive.map((r) => r.id)) };
}
