import { isUniqueViolation } from '../db/connection.js';
import { newId } from '../crypto/secrets.js';
import { checkIfMatch, etagOf, type DirectoryScope } from './context.js';
import { cleanDocument, type ScimDoc } from './document.js';
import { invalidValue, scimNotFound, uniqueness } from './errors.js';
import type { Filter } from './filter/ast.js';
import { compileFilter } from './filter/sql.js';
import { GROUP_FILTERS } from './filter/tables.js';
import { applyPatch, type PatchOperation } from './patch.js';
import { CORE_GROUP, GROUP_TYPE } from './schema.js';
import { isRbacGroup } from '../rbac/roles.js';

export interface GroupRow {
  id: string;
  seq: number;
  tenant_id: string;
  directory_id: string;
  display_name: string;
  display_name_lower: string;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export async function findGroup(ds: DirectoryScope, id: string, lock = false): Promise<GroupRow> {
  // Ids are ours (prefix_hex); anything else cannot exist and is not worth a query.
  if (!/^[a-z]{3}_[0-9a-f]{1,64}$/.test(id)) throw scimNotFound(`Group ${id.slice(0, 100)} not found`);
  let q = ds.table<GroupRow>('scim_groups').where('scim_groups.id', id).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as GroupRow | undefined;
  if (!row) throw scimNotFound(`Group ${id.slice(0, 100)} not found`);
  return row;
}

export async function membersOf(ds: DirectoryScope, groupIds: string[]): Promise<Map<string, Array<{ value: string; display: string | null }>>> {
  const out = new Map<string, Array<{ value: string; display: string | null }>>();
  if (!groupIds.length) return out;
  const rows = (await ds
    .table('scim_group_members as m')
    .join('scim_users as u', 'u.id', 'm.user_id')
    .whereIn('m.group_id', groupIds)
    .whereNull('u.deleted_at')
    .orderBy('u.seq')
    .select('m.group_id', 'u.id', 'u.display_name', 'u.user_name')) as Array<{ group_id: string; id: string; display_name: string | null; user_name: string }>;
  for (const r of rows) {
    const list = out.get(r.group_id) ?? [];
    list.push({ value: r.id, display: r.display_name ?? r.user_name });
    out.set(r.group_id, list);
  }
  return out;
}

export function renderGroup(ds: DirectoryScope, row: GroupRow, members: Array<{ value: string; display: string | null }> | undefined): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP],
    id: row.id,
    displayName: row.display_name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    ...(members ? { members: members.map((m) => ({ value: m.value, ...(m.display ? { display: m.display } : {}), $ref: `${ds.baseUrl}/Users/${m.value}`, type: 'User' })) } : {}),
    meta: {
      resourceType: 'Group',
      created: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.updated_at).toISOString(),
      location: `${ds.baseUrl}/Groups/${row.id}`,
      version: etagOf(row.version),
    },
  };
}

export async function listGroups(ds: DirectoryScope, filter: Filter | undefined, startIndex: number, count: number): Promise<{ total: number; rows: GroupRow[] }> {
  let q = ds.table<GroupRow>('scim_groups');
  if (filter) {
    const c = compileFilter(GROUP_FILTERS, filter);
    q = q.whereRaw(c.sql, c.bindings as never[]);
  }
  const rows = count === 0 ? [] : ((await q.clone().orderBy('scim_groups.seq').offset(startIndex - 1).limit(count).select('scim_groups.*')) as GroupRow[]);
  // A page that is not full (and not past the end) already tells the total.
  if (count > 0 && rows.length < count && (rows.length > 0 || startIndex === 1)) return { total: startIndex - 1 + rows.length, rows };
  const [totalRow] = (await q.clone().count({ n: '*' })) as Array<{ n: number | string }>;
  return { total: Number(totalRow!.n), rows };
}

function memberIds(doc: ScimDoc): string[] {
  const list = (Array.isArray(doc.members) ? doc.members : []) as Array<{ value?: string }>;
  return list.map((m, i) => {
    if (typeof m.value !== 'string' || !m.value) throw invalidValue(`members[${i}].value is required`);
    return m.value;
  });
}

/** Members must be users of this directory: another directory's ids are unknown here. */
async function checkMembers(ds: DirectoryScope, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    // A deleted user is gone for SCIM and cannot be a member again. FOR SHARE: a DELETE of the
    // user in flight is waited for and its deleted_at seen, rather than the user being added
    // back into a group the DELETE just took them out of.
    for (const r of (await ds.table('scim_users').whereIn('scim_users.id', chunk).whereNull('scim_users.deleted_at').forShare().select('scim_users.id')) as Array<{ id: string }>) found.add(r.id);
  }
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw invalidValue(`members: no user "${missing.slice(0, 100)}" in this directory`);
}

async function assertNameFree(ds: DirectoryScope, name: string, exceptId?: string): Promise<void> {
  let q = ds.table('scim_groups').where('display_name_lower', name.toLowerCase()).first('id');
  if (exceptId) q = q.whereNot('scim_groups.id', exceptId);
  if (await q) throw uniqueness(`displayName "${name.slice(0, 200)}" is already taken in this directory`);
}

function uniqueOr(err: unknown, name: string): never {
  if (isUniqueViolation(err)) throw uniqueness(`displayName "${name.slice(0, 200)}" is already taken in this directory`);
  throw err;
}

async function insertMembers(ds: DirectoryScope, groupId: string, ids: string[]) {
  for (let i = 0; i < ids.length; i += 1000) {
    await ds.insert('scim_group_members', ids.slice(i, i + 1000).map((user_id) => ({ group_id: groupId, user_id })));
  }
}

/** Creates a group; returns its id. The caller reads it back after commit, outside the chain lock. */
export async function createGroup(ds: DirectoryScope, body: unknown): Promise<string> {
  const doc = cleanDocument(GROUP_TYPE, body);
  const name = doc.displayName as string;
  const ids = [...new Set(memberIds(doc))];
  await assertNameFree(ds, name);
  await checkMembers(ds, ids);
  const id = newId('grp', 12);
  const now = new Date();
  try {
    await ds.insert('scim_groups', { id, display_name: name, display_name_lower: name.toLowerCase(), external_id: (doc.externalId as string) ?? null, version: 1, created_at: now, updated_at: now });
  } catch (err) {
    uniqueOr(err, name);
  }
  await insertMembers(ds, id, ids);
  await ds.changed(
    { kind: 'group', op: 'created', userIds: ids, groupId: id, addedUserIds: ids, removedUserIds: [], groupName: name },
    id,
    { type: 'scim.group_created', data: { display_name: name, rbac: isRbacGroup(name), members_added: ids.length } },
  );
  return id;
}

async function currentDoc(ds: DirectoryScope, row: GroupRow): Promise<{ doc: ScimDoc; ids: string[] }> {
  const ids = ((await ds.table('scim_group_members').where('group_id', row.id).select('user_id')) as Array<{ user_id: string }>).map((r) => r.user_id);
  const doc: ScimDoc = { displayName: row.display_name, ...(row.external_id ? { externalId: row.external_id } : {}), ...(ids.length ? { members: ids.map((value) => ({ value })) } : {}) };
  return { doc, ids };
}

async function storeGroup(ds: DirectoryScope, row: GroupRow, beforeIds: string[], doc: ScimDoc, via: string): Promise<string> {
  const name = doc.displayName as string;
  const externalId = (doc.externalId as string | undefined) ?? null;
  const after = new Set(memberIds(doc));
  const before = new Set(beforeIds);
  const added = [...after].filter((id) => !before.has(id));
  const removed = [...before].filter((id) => !after.has(id));
  const renamed = name !== row.display_name;
  if (!added.length && !removed.length && !renamed && externalId === row.external_id) return row.id;
  if (renamed && name.toLowerCase() !== row.display_name_lower) await assertNameFree(ds, name, row.id);
  await checkMembers(ds, added);
  try {
    await ds
      .table('scim_groups')
      .where('scim_groups.id', row.id)
      .update({ display_name: name, display_name_lower: name.toLowerCase(), external_id: externalId, version: row.version + 1, updated_at: new Date() });
  } catch (err) {
    uniqueOr(err, name);
  }
  for (let i = 0; i < removed.length; i += 1000) {
    await ds.table('scim_group_members').where('group_id', row.id).whereIn('user_id', removed.slice(i, i + 1000)).delete();
  }
  await insertMembers(ds, row.id, added);
  await ds.changed(
    {
      kind: 'group',
      op: 'updated',
      userIds: [...added, ...removed],
      groupId: row.id,
      addedUserIds: added,
      removedUserIds: removed,
      groupName: name,
      ...(renamed ? { previousGroupName: row.display_name } : {}),
    },
    row.id,
    {
      type: 'scim.group_updated',
      data: { display_name: name, ...(renamed ? { renamed_from: row.display_name } : {}), rbac: isRbacGroup(name), members_added: added.length, members_removed: removed.length, via },
    },
  );
  return row.id;
}

export async function replaceGroup(ds: DirectoryScope, id: string, body: unknown, ifMatch?: string): Promise<string> {
  const row = await findGroup(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  const { ids } = await currentDoc(ds, row);
  return storeGroup(ds, row, ids, cleanDocument(GROUP_TYPE, body), 'put');
}

export async function patchGroup(ds: DirectoryScope, id: string, ops: PatchOperation[], ifMatch?: string): Promise<string> {
  const row = await findGroup(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  const { doc, ids } = await currentDoc(ds, row);
  return storeGroup(ds, row, ids, applyPatch(GROUP_TYPE, doc, ops), 'patch');
}

/**
 * Locks the groups a user is in, in the order two writers both take them (seq). A user's
 * DELETE calls it before it locks the user: a group PATCH locks its group and then its members
 * (checkMembers), so taking the user first and its groups after could deadlock with one.
 */
export async function lockGroupsOf(ds: DirectoryScope, userId: string): Promise<void> {
  await ds
    .table('scim_groups')
    .whereIn('scim_groups.id', ds.table('scim_group_members').where('user_id', userId).select('group_id'))
    .orderBy('scim_groups.seq')
    .forUpdate()
    .select('scim_groups.id');
}

/**
 * Takes a user out of every group (a SCIM DELETE of the user): each group's version moves, and
 * each change is returned for the caller to record with its own (ds.changedAll).
 */
export async function leaveAllGroups(ds: DirectoryScope, userId: string): Promise<Array<{ change: GroupChange; subjectId: string; event: { type: string; data: Record<string, unknown> } }>> {
  const groups = (await ds
    .table('scim_groups')
    .whereIn('scim_groups.id', ds.table('scim_group_members').where('user_id', userId).select('group_id'))
    .orderBy('scim_groups.seq')
    .select('scim_groups.id', 'scim_groups.display_name')) as Array<{ id: string; display_name: string }>;
  if (!groups.length) return [];
  await ds.table('scim_group_members').where('user_id', userId).delete();
  await ds.table('scim_groups').whereIn('scim_groups.id', groups.map((g) => g.id)).update({ version: ds.db.raw('version + 1'), updated_at: new Date() });
  return groups.map((g) => ({
    change: { kind: 'group', op: 'updated', userIds: [userId], groupId: g.id, addedUserIds: [], removedUserIds: [userId], groupName: g.display_name },
    subjectId: g.id,
    event: { type: 'scim.group_updated', data: { display_name: g.display_name, rbac: isRbacGroup(g.display_name), members_added: 0, members_removed: 1, via: 'user_deleted' } },
  }));
}

type GroupChange = Parameters<DirectoryScope['changed']>[0];

export async function deleteGroup(ds: DirectoryScope, id: string, ifMatch?: string): Promise<void> {
  const row = await findGroup(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  const { ids } = await currentDoc(ds, row);
  await ds.table('scim_groups').where('scim_groups.id', row.id).delete();
  await ds.changed(
    { kind: 'group', op: 'deleted', userIds: ids, groupId: row.id, addedUserIds: [], removedUserIds: ids, groupName: row.display_name },
    row.id,
    { type: 'scim.group_deleted', data: { display_name: row.display_name, rbac: isRbacGroup(row.display_name_lower), members_removed: ids.length } },
  );
}
