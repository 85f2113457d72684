import type { Queryable } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appliedPacks, blockedBy, entitlements } from '../skills/entitlements.js';
import { tenantGrantAccess } from '../rbac/access.js';
import { departures } from '../roster/holders.js';

/** One person's right to one skill, as published to every connected platform. */
export interface Grant {
  email: string;
  skill: string;
}

/**
 * The full set of (user, skill) grants of a tenant, sorted by email then skill so that the
 * same state always gives the same list (and the same content hash at publish time).
 *
 * A member counts only while active and mapped to an archetype, and never while their SCIM
 * user is de-provisioned. That follows the person, not the row (roster/holders.ts departures):
 * an address held by SCIM users (as roster address, or as login when the userName is an
 * address: an account under the UPN is the same person) and by no active, undeleted one gets
 * nothing, whatever the member points at, so a member a CSV wrote (no `scim_user_id`, or turned
 * active by a later import) cannot hand a de-provisioned person their skills back; a member pointing at an
 * inactive user counts while an active one holds its address (provisioned again after a DELETE,
 * or another directory's copy). An active user's login never holds a departed person's work
 * email (holdsAs): a reused UPN does not keep the leaver's address granted. Once the tenant uses RBAC groups (any `claresia-*` group), only
 * people holding a role through a mapped group count, and a mapping's archetype grant gives
 * its group's members that archetype's skills on top of their own (claresia-eng-pilot gives
 * eng). Skills blocked by an applied pack are removed here too: pack-produced rows already
 * omit them, but a manual row may name one, and a block is a policy that wins over a manual choice.
 */
export async function computeGrants(trx: Queryable, tenantId: string): Promise<Grant[]> {
  const scope = new TenantScope(trx, tenantId);
  // One after another: on a transaction they share one connection anyway, and pg refuses
  // overlapping queries on a client in its next major version.
  const packs = await appliedPacks(scope);
  const sets = await entitlements(scope);
  const members = (await scope.table('roster_members').where('active', true).whereNotNull('archetype').select('email', 'archetype', 'scim_user_id')) as Array<{
    email: string;
    archetype: string;
    scim_user_id: string | null;
  }>;
  const access = await tenantGrantAccess(trx, tenantId);
  const { deprovisioned, live } = await departures(scope);
  const blocked = blockedBy(packs);
  const byArchetype = new Map(sets.map((e) => [e.archetype, e.skills.filter((s) => !blocked.has(s))]));
  const withRole = new Set([...access.users.values()].map((u) => u.email).filter((e): e is string => !!e));
  const grants: Grant[] = [];
  for (const m of members) {
    if (m.scim_user_id && access.inactiveUserIds.has(m.scim_user_id) && !live.has(m.email)) continue;
    if (deprovisioned.has(m.email)) continue;
    if (access.rbac && !(m.scim_user_id && access.users.has(m.scim_user_id)) && !withRole.has(m.email)) continue;
    for (const skill of byArchetype.get(m.archetype) ?? []) grants.push({ email: m.email, skill });
  }
  for (const u of access.users.values()) {
    if (!u.email) continue;
    for (const a of u.archetypes) for (const skill of byArchetype.get(a) ?? []) grants.push({ email: u.email, skill });
  }
  return sortGrants(grants);
}

/** Sorted copy without duplicates (a person granted one skill by two routes holds it once). */
export function sortGrants(grants: readonly Grant[]): Grant[] {
  const seen = new Set<string>();
  const out: Grant[] = [];
  for (const g of grants) {
    const k = `${g.email}\u0000${g.skill}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(g);
  }
  return out.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
}
