import { normalizeObject, resourceByName } from '@claresia/catalog';
import type { Tx } from '../db/connection.js';
import { isUniqueViolation } from '../db/connection.js';
import { newId } from '../crypto/secrets.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { ensureDefaultMappings, presentMapping, TABLE, type MappingRow } from '../rbac/mappings.js';
import { applyMappingChange } from '../rbac/effects.js';
import { isRbacGroup, RBAC_GROUP_PREFIX } from '../rbac/roles.js';
import '../rbac/lifecycle.js';
import type { Module } from './module.js';

const def = resourceByName('group_mapping');

/**
 * "An unknown group" is a name outside the RBAC namespace: only `claresia-*` groups carry roles,
 * so anything else is refused. A `claresia-*` group the IdP has not pushed yet is accepted:
 * mappings are usually written before the IdP's first sync.
 */
function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || !isRbacGroup(group)) {
    throw badRequest(`group must be an RBAC group, whose name starts with "${RBAC_GROUP_PREFIX}"`, 'group', 'unknown_group');
  }
  if (group.length <= RBAC_GROUP_PREFIX.length) throw badRequest(`group needs a name after "${RBAC_GROUP_PREFIX}"`, 'group', 'unknown_group');
  return group;
}

async function seeded(ctx: RequestContext) {
  const scope = ctx.tenant();
  await ensureDefaultMappings(ctx.db as Tx, ctx.app.keys, scope.tenantId, ctx.actor);
  return scope;
}

async function load(ctx: RequestContext, id: string, lock = false): Promise<MappingRow> {
  const scope = await seeded(ctx);
  let q = scope.table<MappingRow>(TABLE).where({ id }).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as MappingRow | undefined;
  if (!row) throw notFound(`group mapping ${id}`, 'id');
  return row;
}

async function assertGroupFree(ctx: RequestContext, group: string, exceptId?: string) {
  let q = ctx.tenant().table(TABLE).where('group_name', group).first('id');
  if (exceptId) q = q.whereNot('id', exceptId);
  const other = await q;
  if (other) throw conflict(`group "${group}" is already mapped by ${other.id}; change that mapping instead`, 'group');
}

function duplicateOr(err: unknown, group: string): never {
  if (isUniqueViolation(err)) throw conflict(`group "${group}" is already mapped`, 'group');
  throw err;
}

async function create(ctx: RequestContext) {
  const scope = await seeded(ctx);
  const body = normalizeObject(def.attributes, ctx.body) as Record<string, any>;
  const group = checkGroup(body.group);
  await assertGroupFree(ctx, group);
  const now = new Date();
  const row = { id: newId('gm'), group_name: group, role: body.role, archetype: body.archetype ?? null, created_at: now, updated_at: now };
  try {
    await scope.insert(TABLE, row);
  } catch (err) {
    duplicateOr(err, group);
  }
  await ctx.audit({ type: 'rbac.group_mapping_created', subject: row.id, data: { group, role: row.role, archetype: row.archetype } });
  await applyMappingChange(ctx.db as Tx, ctx.app.keys, scope.tenantId, ctx.actor, [group], row.id);
  return { status: 201, body: presentMapping({ ...row, tenant_id: scope.tenantId } as MappingRow), headers: { Location: def.api.read.path.replace('{id}', row.id) } };
}

async function update(ctx: RequestContext) {
  const before = await load(ctx, ctx.params.id!, true);
  const patch = normalizeObject(def.attributes, ctx.body) as Record<string, any>;
  if (patch.group === null) throw badRequest('group cannot be null', 'group', 'invalid_value');
  if (patch.role === null) throw badRequest('role cannot be null', 'role', 'invalid_value');
  const next = {
    group_name: patch.group !== undefined ? checkGroup(patch.group) : before.group_name,
    role: patch.role ?? before.role,
    archetype: patch.archetype !== undefined ? patch.archetype : before.archetype,
  };
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (next.group_name !== before.group_name) changes.group = { from: before.group_name, to: next.group_name };
  if (next.role !== before.role) changes.role = { from: before.role, to: next.role };
  if ((next.archetype ?? null) !== (before.archetype ?? null)) changes.archetype = { from: before.archetype, to: next.archetype };
  if (!Object.keys(changes).length) return { body: presentMapping(before) };
  if (changes.group) await assertGroupFree(ctx, next.group_name, before.id);
  const updatedAt = new Date();
  try {
    await ctx.tenant().table(TABLE).where({ id: before.id }).update({ ...next, updated_at: updatedAt });
  } catch (err) {
    duplicateOr(err, next.group_name);
  }
  await ctx.audit({ type: 'rbac.group_mapping_updated', subject: before.id, data: { group: next.group_name, changes } });
  await applyMappingChange(ctx.db as Tx, ctx.app.keys, before.tenant_id, ctx.actor, [before.group_name, next.group_name], before.id);
  return { body: presentMapping({ ...before, ...next, updated_at: updatedAt }) };
}

async function remove(ctx: RequestContext) {
  const row = await load(ctx, ctx.params.id!, true);
  await ctx.tenant().table(TABLE).where({ id: row.id }).delete();
  await ctx.audit({ type: 'rbac.group_mapping_deleted', subject: row.id, data: { group: row.group_name, role: row.role, archetype: row.archetype } });
  await applyMappingChange(ctx.db as Tx, ctx.app.keys, row.tenant_id, ctx.actor, [row.group_name], row.id);
  return { status: 204 };
}

async function list(ctx: RequestContext) {
  const scope = await seeded(ctx);
  return { body: await pageById<MappingRow, unknown>(scope.table(TABLE), parseListQuery(ctx.query), presentMapping) };
}

export const groupMappingsModule: Module = {
  name: 'group-mappings',
  routes(r) {
    // Reads run in a transaction too: the first read of a tenant creates its default mappings.
    r.resource(
      def,
      { create, list, read: async (ctx) => ({ body: presentMapping(await load(ctx, ctx.params.id!)) }), update, delete: remove },
      { list: { transaction: true }, read: { transaction: true } },
    );
  },
};
