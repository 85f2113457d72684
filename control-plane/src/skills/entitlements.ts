import type { TenantScope } from '../db/tenant-scope.js';
import { newId } from '../crypto/secrets.js';
import { badRequest } from '../http/errors.js';
import { ARCHETYPES } from '../roster/archetypes.js';
import type { Audit } from '../roster/members.js';
import { isSkill, packByName } from './catalog.js';
import { queuePublish } from '../distribution/queue.js';

/**
 * Entitlements are one row per archetype. A row is either "manual" (managed directly, never
 * touched by packs) or produced by the applied Cowork packs; the latter are recomputed from
 * scratch after every pack change, so what is stored never drifts from what the packs say.
 */

export interface CoworkRow {
  pack: string;
  blocked_skills: string[];
  applied_at: Date;
}

export interface EntitlementRow {
  archetype: string;
  skills: string[];
  source: string;
  updated_at: Date;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export async function appliedPacks(scope: TenantScope): Promise<CoworkRow[]> {
  const rows = (await scope.table('cowork_applications').orderBy('pack')) as Array<CoworkRow & { blocked_skills: unknown }>;
  return rows.map((r) => ({ pack: r.pack, blocked_skills: json<string[]>(r.blocked_skills), applied_at: r.applied_at }));
}

export async function entitlements(scope: TenantScope): Promise<EntitlementRow[]> {
  const rows = (await scope.table('skill_entitlements').orderBy('archetype')) as Array<EntitlementRow & { skills: unknown }>;
  return rows.map((r) => ({ archetype: r.archetype, skills: json<string[]>(r.skills), source: r.source, updated_at: r.updated_at }));
}

/**
 * Every skill id must be in the catalog; the error names the set and the skill. Both callers'
 * fields are sets, which Terraform sends sorted, so an index would point at the wrong line of the
 * user's configuration.
 */
export function checkSkills(field: string, skills: readonly string[]): void {
  const unknown = skills.find((id) => !isSkill(id));
  if (unknown !== undefined) throw badRequest(`${field}: unknown skill "${unknown}"; see GET /api/v1/skill-entitlement/skills`, field, 'unknown_skill');
}

/** Skills a currently applied pack blocks by policy, and which pack blocks each. */
export function blockedBy(packs: readonly CoworkRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of packs) for (const s of p.blocked_skills) if (!out.has(s)) out.set(s, p.pack);
  return out;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Records that the grants changed and queues their publish, both in the caller's transaction;
 * one pending request per tenant is enough however many changes pile up before a publish takes
 * it. A request a publish has already taken (publish_id set by its snapshot) is never joined:
 * that publish read the grants before this change, so completing the request would report the
 * change published when it was not. The request joined is share-locked until the caller
 * commits: a snapshot taking it at the same moment waits for this change and reads it, or, if it
 * took the row first, this read waits for it, finds the row taken and makes a new request. A
 * share lock rather than an update, so concurrent changes (an IdP's parallel SCIM writes, which
 * append to the audit chain afterwards) do not queue on the row or deadlock over it. The job is
 * queued either way; a publish drops the queued ones its snapshot covers.
 */
export async function requestRepublish(scope: TenantScope, requestedBy: string, reason: string): Promise<{ id: string; created: boolean }> {
  await queuePublish(scope.db, scope.tenantId);
  const pending = await scope.table('distribution_requests').where('status', 'pending').whereNull('publish_id').forShare().first('id');
  if (pending) return { id: pending.id, created: false };
  const id = newId('dist');
  await scope.insert('distribution_requests', { id, requested_by: requestedBy, reason, status: 'pending', requested_at: new Date(), changed_at: scope.db.fn.now() });
  return { id, created: true };
}

/** Sets one archetype's row and records `skill.entitlement_changed` when it actually changed. */
export async function writeEntitlement(scope: TenantScope, audit: Audit, archetype: string, skills: string[] | null, source: string, before?: EntitlementRow): Promise<boolean> {
  if (skills === null) {
    if (!before) return false;
    await scope.table('skill_entitlements').where('archetype', archetype).delete();
  } else {
    if (before && before.source === source && sameList(before.skills, skills)) return false;
    // The database's clock, as the publish that carries the change is stamped with (health compares them).
    const row = { archetype, skills: JSON.stringify(skills), source, updated_at: scope.db.fn.now() };
    if (before) await scope.table('skill_entitlements').where('archetype', archetype).update(row);
    else await scope.insert('skill_entitlements', row);
  }
  await audit({
    type: 'skill.entitlement_changed',
    subject: archetype,
    data: { archetype, skills, previous: before?.skills ?? null, source: skills === null ? null : source, previous_source: before?.source ?? null },
  });
  return true;
}

/** Recomputes every pack-produced row from the applied packs; manual rows are left alone. */
export async function recomputeFromPacks(scope: TenantScope, audit: Audit): Promise<string[]> {
  const packs = await appliedPacks(scope);
  const blocked = blockedBy(packs);
  const current = new Map((await entitlements(scope)).map((e) => [e.archetype, e]));
  const changed: string[] = [];
  for (const a of ARCHETYPES) {
    const before = current.get(a);
    if (before?.source === 'manual') continue;
    const sources: string[] = [];
    const skills = new Set<string>();
    for (const p of packs) {
      const grant = packByName(p.pack)?.grants[a];
      if (!grant) continue;
      sources.push(p.pack);
      for (const s of grant) if (!blocked.has(s)) skills.add(s);
    }
    const next = sources.length ? [...skills].sort() : null;
    if (await writeEntitlement(scope, audit, a, next, sources.join(','), before)) changed.push(a);
  }
  return changed;
}
