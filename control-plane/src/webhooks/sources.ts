import { onEventAppended } from '../audit/hooks.js';
import type { Tx } from '../db/connection.js';
import { onScimChange, type ScimChange } from '../scim/hooks.js';
import { emitWebhookEvent, hasActiveWebhooks } from './events.js';

/**
 * Where webhook events come from, each in the transaction of the change it reports:
 * - user.created / user.updated / user.deactivated: SCIM user writes (a re-activation is an update
 *   with `active: true`);
 * - user.archetype_assigned: every `rbac.archetype_assigned` governance event (CSV import, SCIM
 *   sync, an admin's override);
 * - user.skill_entitlement_changed: a person's skill set changes when their archetype changes to
 *   one with other skills, when their archetype's set changes, and when they are de-provisioned
 *   (every skill taken) or re-activated (given back).
 */

const USER_EVENT: Record<string, string | undefined> = { created: 'user.created', updated: 'user.updated', reactivated: 'user.updated', deprovisioned: 'user.deactivated' };

async function fromScim(trx: Tx, change: ScimChange): Promise<void> {
  const type = change.kind === 'user' ? USER_EVENT[change.op] : undefined;
  if (!type || change.userIds.length === 0 || !(await hasActiveWebhooks(trx, change.tenantId))) return;
  const rows = (await trx('scim_users')
    .where({ tenant_id: change.tenantId })
    .whereIn('id', change.userIds)
    .select('id', 'user_name', 'external_id', 'email', 'active', 'given_name', 'family_name')) as Array<Record<string, unknown>>;
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  for (const id of change.userIds) {
    const u = byId.get(id);
    await emitWebhookEvent(trx, change.tenantId, type, {
      user_id: id,
      directory_id: change.directoryId,
      idp: change.idp,
      // A SCIM DELETE keeps the row (deleted_at); one removed with its directory is gone, and then
      // the id is all there is to report.
      user_name: u?.user_name ?? null,
      external_id: u?.external_id ?? null,
      email: u?.email ?? null,
      given_name: u?.given_name ?? null,
      family_name: u?.family_name ?? null,
      active: u ? !!u.active : false,
    });
  }
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

async function skillsOf(trx: Tx, tenantId: string, archetype: string | null): Promise<string[]> {
  if (!archetype) return [];
  const row = await trx('skill_entitlements').where({ tenant_id: tenantId, archetype }).first('skills');
  return row ? [...json<string[]>(row.skills)].sort() : [];
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

onScimChange((trx, change) => fromScim(trx, change));

/**
 * De-provisioning takes every skill from the person's roster members, re-activation gives them
 * back; the RBAC events that record it name those members.
 */
async function fromLifecycle(trx: Tx, tenantId: string, memberIds: unknown, active: boolean): Promise<void> {
  if (!Array.isArray(memberIds) || memberIds.length === 0) return;
  const members = (await trx('roster_members').where({ tenant_id: tenantId }).whereIn('id', memberIds.map(String)).orderBy('email').select('email', 'archetype')) as Array<{ email: string; archetype: string | null }>;
  for (const m of members) {
    const skills = await skillsOf(trx, tenantId, m.archetype);
    if (skills.length === 0) continue;
    await emitWebhookEvent(trx, tenantId, 'user.skill_entitlement_changed', {
      email: m.email,
      archetype: m.archetype,
      skills: active ? skills : [],
      previous_skills: active ? [] : skills,
      reason: active ? 'reactivated' : 'deactivated',
    });
  }
}

const WATCHED = new Set(['rbac.archetype_assigned', 'skill.entitlement_changed', 'rbac.access_revoked', 'user_reactivated']);

onEventAppended(async (trx, event) => {
  if (!WATCHED.has(event.type)) return;
  const tenantId = event.tenant_id;
  if (!(await hasActiveWebhooks(trx, tenantId))) return;
  const d = event.data as Record<string, any>;
  if (event.type === 'rbac.access_revoked') return fromLifecycle(trx, tenantId, d.roster_members_deactivated, false);
  if (event.type === 'user_reactivated') return fromLifecycle(trx, tenantId, d.roster_members_reactivated, true);
  if (event.type === 'rbac.archetype_assigned') {
    const email = String(d.email ?? '');
    await emitWebhookEvent(trx, tenantId, 'user.archetype_assigned', { email, archetype: d.archetype ?? null, previous: d.previous ?? null, by: d.by ?? null, source: d.source ?? null });
    const [skills, previous] = [await skillsOf(trx, tenantId, d.archetype ?? null), await skillsOf(trx, tenantId, d.previous ?? null)];
    if (!same(skills, previous)) await emitWebhookEvent(trx, tenantId, 'user.skill_entitlement_changed', { email, archetype: d.archetype ?? null, skills, previous_skills: previous, reason: 'archetype_assigned' });
    return;
  }
  const skills = [...((d.skills as string[] | null) ?? [])].sort();
  const previous = [...((d.previous as string[] | null) ?? [])].sort();
  if (same(skills, previous)) return;
  const members = (await trx('roster_members').where({ tenant_id: tenantId, archetype: d.archetype, active: true }).orderBy('email').select('email')) as Array<{ email: string }>;
  for (const m of members) {
    await emitWebhookEvent(trx, tenantId, 'user.skill_entitlement_changed', { email: m.email, archetype: d.archetype, skills, previous_skills: previous, reason: 'entitlement_changed' });
  }
});
