import { normalizeObject, resourceByName, updateSchema, type JsonSchema } from '@claresia/catalog';
import { badRequest, conflict, notFound, notFoundBecause } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { parseListQuery } from '../http/list-query.js';
import { validateBody } from '../http/validate.js';
import { ARCHETYPES } from '../roster/archetypes.js';
import { PACKS, SKILLS, packByName } from '../skills/catalog.js';
import {
  appliedPacks,
  blockedBy,
  checkSkills,
  entitlements,
  recomputeFromPacks,
  requestRepublish,
  writeEntitlement,
  type CoworkRow,
  type EntitlementRow,
} from '../skills/entitlements.js';
import { lockEntitlements } from '../skills/lock.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { Module } from './module.js';

const coworkDef = resourceByName('cowork');
const entDef = resourceByName('skill_entitlement');
const tag = 'skill_entitlement';

const presentCowork = (c: CoworkRow) => ({ pack: c.pack, blocked_skills: [...c.blocked_skills].sort(), applied_at: new Date(c.applied_at).toISOString() });
const presentEnt = (e: EntitlementRow) => ({ archetype: e.archetype, skills: e.skills, source: e.source });

/** `?id=a&id=b` (or comma-separated): the many-ids read the IaC layers refresh with. */
const audit = (ctx: RequestContext) => (e: { type: string; subject?: string | null; data?: Record<string, unknown> }) => ctx.audit(e);

const notApplied = (pack: string) => notFoundBecause(`cowork pack ${pack} is not applied; apply it with POST /api/v1/skill-entitlement/coworks/${pack}/apply`, 'pack');

async function loadCowork(ctx: RequestContext, pack: string): Promise<CoworkRow> {
  const c = (await appliedPacks(ctx.tenant())).find((p) => p.pack === pack);
  if (!c) throw packByName(pack) ? notApplied(pack) : notFound(`cowork pack ${pack}`, 'pack');
  return c;
}

/**
 * Applies (or re-applies) a pack with its blocked skills. Refused, changing nothing, when a
 * manually managed archetype set holds a skill the pack would block. `blockedIn` undefined
 * (the caller did not name the field) keeps what is stored: re-running the runbook's apply
 * must not hand out skills that policy blocked; only an explicit list changes them.
 */
async function applyPack(ctx: RequestContext, pack: string, blockedIn: unknown, mode: 'create' | 'update' | 'upsert') {
  const scope = ctx.tenant();
  if (!packByName(pack)) {
    const msg = `unknown pack "${pack}"; the packs are ${PACKS.map((p) => p.name).join(', ')}`;
    if (mode === 'create') throw badRequest(msg, 'pack', 'unknown_pack');
    throw notFound(`cowork pack ${pack}`, 'pack');
  }
  await lockEntitlements(scope);
  const existing = (await scope.table('cowork_applications').where('pack', pack).forUpdate().first()) as CoworkRow | undefined;
  if (existing && mode === 'create') throw conflict(`pack ${pack} is already applied; change it with PATCH ${coworkDef.api.read.path.replace('{id}', pack)}`, 'pack');
  if (!existing && mode === 'update') throw notApplied(pack);
  const stored: string[] = existing ? (typeof existing.blocked_skills === 'string' ? JSON.parse(existing.blocked_skills) : existing.blocked_skills) : [];
  const blocked = (blockedIn as string[] | undefined) ?? stored;
  checkSkills('blocked_skills', blocked);
  for (const e of await entitlements(scope)) {
    if (e.source !== 'manual') continue;
    const hit = e.skills.find((s) => blocked.includes(s));
    // blocked_skills is a set (Terraform sends it sorted, not as written): the skill names the
    // element, an index would name a position the caller never wrote.
    if (hit) throw conflict(`blocked_skills: "${hit}" is granted to archetype ${e.archetype} by a managed set; remove it there first`, 'blocked_skills');
  }
  const row = { blocked_skills: JSON.stringify(blocked), applied_at: new Date() };
  if (existing) await scope.table('cowork_applications').where('pack', pack).update(row);
  else await scope.insert('cowork_applications', { pack, ...row });
  await ctx.audit({ type: 'cowork.applied', subject: pack, data: { pack, blocked_skills: blocked, reapplied: !!existing } });
  const changed = await recomputeFromPacks(scope, audit(ctx));
  if (changed.length) await requestRepublish(scope, ctx.actor, `cowork ${pack} applied`);
  const body = presentCowork(await loadCowork(ctx, pack));
  return { status: existing ? 200 : 201, body, headers: { Location: coworkDef.api.read.path.replace('{id}', pack) } };
}

/** Creates or replaces a managed set for one archetype. */
async function setArchetype(ctx: RequestContext, archetype: string, skillsIn: string[], mode: 'create' | 'replace') {
  const scope = ctx.tenant();
  if (!(ARCHETYPES as readonly string[]).includes(archetype)) {
    throw mode === 'create' ? badRequest(`archetype must be one of: ${ARCHETYPES.join(', ')}`, 'archetype', 'invalid_value') : notFound(`archetype ${archetype}`, 'archetype');
  }
  const skills = skillsIn;
  checkSkills('skills', skills);
  await lockEntitlements(scope);
  const blocked = blockedBy(await appliedPacks(scope));
  // A set, as blocked_skills is: named by the skill, not by an index into the sorted list.
  const hit = skills.find((s) => blocked.has(s));
  if (hit !== undefined) throw badRequest(`skills: "${hit}" is blocked by policy in cowork pack ${blocked.get(hit)}`, 'skills', 'blocked_skill');
  const before = (await entitlements(scope)).find((e) => e.archetype === archetype);
  if (mode === 'create' && before?.source === 'manual') throw conflict(`archetype ${archetype} already has a managed skill set; replace it with PUT`, 'archetype');
  if (await writeEntitlement(scope, audit(ctx), archetype, skills, 'manual', before)) await requestRepublish(scope, ctx.actor, `archetype ${archetype} changed`);
  return {
    status: mode === 'create' ? 201 : 200,
    body: { archetype, skills, source: 'manual' },
    headers: { Location: entDef.api.read.path.replace('{id}', archetype) },
  };
}

const APPLY = updateSchema(coworkDef);

const REPUBLISH_ANSWER: JsonSchema = {
  type: 'object',
  required: ['id', 'status', 'requested_at', 'reason', 'coalesced'],
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'completed', 'failed'] },
    requested_at: { type: 'string', format: 'date-time' },
    reason: { type: ['string', 'null'] },
    coalesced: { type: 'boolean', description: 'true when a pending request already covered this one' },
  },
};

const REPUBLISH: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 500, description: 'Why, for the audit trail.' } },
};

export const skillsModule: Module = {
  name: 'skills',
  routes(r) {
    // The skill catalog data source.
    r.route({
      method: 'GET',
      path: '/api/v1/skill-entitlement/skills',
      auth: 'tenant',
      tag,
      summary: '',
      catalogOperation: true,
      handler: async () => ({ body: { skills: SKILLS, packs: PACKS.map((p) => ({ name: p.name, description: p.description, grants: p.grants })) } }),
    });

    // Cowork packs: the catalog resource, and the runbook's apply.
    r.resource(coworkDef, {
      create: (ctx) => {
        const b = normalizeObject(coworkDef.attributes, ctx.body) as { pack: string; blocked_skills?: string[] };
        return applyPack(ctx, b.pack, b.blocked_skills, 'create');
      },
      list: async (ctx) => {
        const ids = parseListQuery(ctx.query).ids;
        const applied = (await appliedPacks(ctx.tenant())).filter((c) => !ids || ids.includes(c.pack));
        return {
          body: {
            items: applied.map(presentCowork),
            next_cursor: null,
            available: PACKS.map((p) => ({ pack: p.name, description: p.description, archetypes: Object.keys(p.grants), applied: applied.some((c) => c.pack === p.name) })),
          },
        };
      },
      read: async (ctx) => ({ body: presentCowork(await loadCowork(ctx, ctx.params.id!)) }),
      update: (ctx) => {
        const b = normalizeObject(coworkDef.attributes, ctx.body) as { blocked_skills?: string[] | null };
        return applyPack(ctx, ctx.params.id!, b.blocked_skills === null ? [] : b.blocked_skills, 'update');
      },
      delete: async (ctx) => {
        const scope = ctx.tenant();
        await lockEntitlements(scope);
        const c = await loadCowork(ctx, ctx.params.id!);
        await scope.table('cowork_applications').where('pack', c.pack).delete();
        await ctx.audit({ type: 'cowork.removed', subject: c.pack, data: { pack: c.pack } });
        const changed = await recomputeFromPacks(scope, audit(ctx));
        if (changed.length) await requestRepublish(scope, ctx.actor, `cowork ${c.pack} removed`);
        return { status: 204 };
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/skill-entitlement/coworks/{pack}/apply',
      auth: 'tenant',
      tag,
      summary:
        'Apply a Cowork pack (or apply it again) with the skills blocked by policy; 201 the first time, then 200. The body ' +
        '({"blocked_skills": [...]}) is optional: without blocked_skills a pack applied before keeps the skills it blocks, ' +
        'and only "blocked_skills": [] (or null) unblocks them all',
      status: [201, 200],
      accepts: { content: { 'application/json': APPLY }, optional: true },
      response: { $ref: '#/components/schemas/Cowork' },
      handler: (ctx) => {
        // The runbook calls it with or without a body.
        const raw = ctx.body === undefined || (typeof ctx.body === 'object' && ctx.body !== null && Object.keys(ctx.body).length === 0) ? {} : validateBody(APPLY, ctx.body);
        const b = normalizeObject(coworkDef.attributes, raw) as { blocked_skills?: string[] | null };
        return applyPack(ctx, ctx.params.pack!, b.blocked_skills === null ? [] : b.blocked_skills, 'upsert');
      },
    });

    // Per-archetype skill sets.
    const findSet = async (scope: TenantScope, archetype: string) => {
      const e = (await entitlements(scope)).find((x) => x.archetype === archetype);
      if (!e) throw notFound(`skill set for archetype ${archetype}`, 'archetype');
      return e;
    };
    r.resource(entDef, {
      create: (ctx) => {
        const b = normalizeObject(entDef.attributes, ctx.body) as { archetype: string; skills: string[] };
        return setArchetype(ctx, b.archetype, b.skills, 'create');
      },
      list: async (ctx) => {
        const ids = parseListQuery(ctx.query).ids;
        const rows = (await entitlements(ctx.tenant())).filter((e) => !ids || ids.includes(e.archetype));
        return { body: { items: rows.map(presentEnt), next_cursor: null } };
      },
      read: async (ctx) => ({ body: presentEnt(await findSet(ctx.tenant(), ctx.params.id!)) }),
      update: (ctx) => {
        const b = normalizeObject(entDef.attributes, ctx.body) as { skills?: string[] | null };
        if (b.skills === undefined || b.skills === null) throw badRequest('skills is required', 'skills', 'missing_field');
        return setArchetype(ctx, ctx.params.id!, b.skills, 'replace');
      },
      delete: async (ctx) => {
        const scope = ctx.tenant();
        await lockEntitlements(scope);
        const before = await findSet(scope, ctx.params.id!);
        // Only a managed set can go: deleting what the packs give would recreate it at once, an
        // answer of 204 for nothing but two events and a publish.
        if (before.source !== 'manual') {
          const packs = before.source.split(',');
          throw notFoundBecause(
            `archetype ${before.archetype} has no managed skill set; its skills come from ${packs.length > 1 ? 'packs' : 'pack'} ${packs.join(', ')} (remove or change the pack instead)`,
            'archetype',
          );
        }
        // A managed set goes away; the archetype falls back to what applied packs give it.
        await writeEntitlement(scope, audit(ctx), before.archetype, null, 'manual', before);
        await recomputeFromPacks(scope, audit(ctx));
        await requestRepublish(scope, ctx.actor, `archetype ${before.archetype} set removed`);
        return { status: 204 };
      },
    });

    r.route({
      method: 'POST',
      path: '/api/v1/skill-entitlement/distribution:republish',
      auth: 'tenant',
      tag,
      summary: 'Ask for the entitlements to be published to every connected platform (the distribution worker does the publishing)',
      status: 202,
      accepts: { content: { 'application/json': REPUBLISH }, optional: true },
      response: REPUBLISH_ANSWER,
      async handler(ctx) {
        const scope = ctx.tenant();
        const body = ctx.body === undefined ? {} : validateBody<{ reason?: string }>(REPUBLISH, ctx.body);
        const reason = body.reason ?? 'requested';
        const { id, created } = await requestRepublish(scope, ctx.actor, reason);
        await ctx.audit({ type: 'distribution.republish_requested', subject: id, data: { reason, coalesced: !created } });
        const req = await scope.table('distribution_requests').where('id', id).first();
        return {
          status: 202,
          body: { id, status: req.status, requested_at: new Date(req.requested_at).toISOString(), reason: req.reason, coalesced: !created },
        };
      },
    });
  },
};
