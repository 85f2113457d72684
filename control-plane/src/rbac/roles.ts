import { ROLES, RBAC_GROUP_PREFIX } from '@claresia/catalog';

export { ROLES, RBAC_GROUP_PREFIX };

export type Role = (typeof ROLES)[number];

/** Higher is more privileged; a route needing `auditor` admits `tenant_admin` too. */
export const RANK: Record<Role, number> = { tenant_admin: 3, auditor: 2, member: 1 };

export function roleOfRank(rank: number | null | undefined): Role | null {
  return (Object.keys(RANK) as Role[]).find((r) => RANK[r] === Number(rank)) ?? null;
}

export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export function isRbacGroup(name: string | null | undefined): boolean {
  return typeof name === 'string' && name.toLowerCase().startsWith(RBAC_GROUP_PREFIX);
}

/** SQL: the rank of a group_mappings row aliased `gm`. */
export const RANK_SQL = `CASE gm.role ${Object.entries(RANK)
  .map(([r, n]) => `WHEN '${r}' THEN ${n}`)
  .join(' ')} END`;
