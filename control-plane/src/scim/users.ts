import { isUniqueViolation, prepared } from '../db/connection.js';
import { newId } from '../crypto/secrets.js';
import { checkIfMatch, etagOf, json, type DirectoryScope } from './context.js';
import { cleanDocument, type ScimDoc } from './document.js';
import { scimNotFound, uniqueness } from './errors.js';
import { leaveAllGroups, lockGroupsOf } from './groups.js';
import { compileFilter } from './filter/sql.js';
import { USER_FILTERS } from './filter/tables.js';
import type { Filter } from './filter/ast.js';
import { applyPatch, type PatchOperation } from './patch.js';
import type { Utf8Body } from './utf8-body.js';
import { CORE_USER, ENTERPRISE_USER, enterpriseSchema, USER_TYPE, userSchema, type ScimAttr } from './schema.js';

export interface UserRow {
  id: string;
  seq: number;
  tenant_id: string;
  directory_id: string;
  user_name: string;
  active: boolean;
  external_id: string | null;
  resource: ScimDoc | string;
  /** The answer up to groups and meta, as JSON text (see userBody), when written under RENDERED_FORMAT. */
  rendered?: string | null;
  rendered_format?: number | null;
  version: number;
  /** A Date, or epoch milliseconds when read for rendering. */
  created_at: Date | number;
  updated_at: Date | number;
  [column: string]: unknown;
}

type Multi = Array<{ value?: string; type?: string; primary?: boolean }>;

/** The one value of a multi-valued attribute other modules want: the work one, else the primary, else the first. */
function preferred(list: unknown): string | null {
  const l = (Array.isArray(list) ? list : []) as Multi;
  const pick = l.find((e) => e.type?.toLowerCase() === 'work') ?? l.find((e) => e.primary) ?? l[0];
  return pick?.value ?? null;
}

/**
 * Layout of the `rendered` column (migration 0470). Change it whenever `userBody` changes: rows
 * written under another layout are rendered from their document instead.
 */
export const RENDERED_FORMAT = 1;

/**
 * A user's answer up to its groups and meta: schemas, id, the attributes in the schema's order
 * (jsonb keeps keys in an order of its own; people read the schema's), active, the enterprise
 * extension. Stored as text with each write (`rendered`), so a list splices it as it is.
 */
function userBody(id: string, doc: ScimDoc, active: boolean): Record<string, unknown> {
  const { [ENTERPRISE_USER]: ent, ...core } = doc;
  const body: Record<string, unknown> = { schemas: ent ? [CORE_USER, ENTERPRISE_USER] : [CORE_USER], id };
  if (core.externalId !== undefined) body.externalId = core.externalId;
  for (const a of userSchema.attributes) if (core[a.name] !== undefined) body[a.name] = inSchemaOrder(core[a.name], a.subAttributes);
  body.active = active;
  if (ent) body[ENTERPRISE_USER] = inSchemaOrder(ent, enterpriseSchema.attributes);
  return body;
}

/**
 * A complex value (or each of a multi-valued one) with its keys in the schema's order, any others
 * after them by name: the same answer whether the document came as written or out of jsonb.
 */
function inSchemaOrder(value: unknown, attrs: ScimAttr[] | undefined): unknown {
  if (!attrs || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => inSchemaOrder(v, attrs));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const a of attrs) if (obj[a.name] !== undefined) out[a.name] = inSchemaOrder(obj[a.name], a.subAttributes);
  for (const k of Object.keys(obj).sort()) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** A document without `active` is an active user. */
const activeOf = (doc: ScimDoc): boolean => (doc.active === undefined ? true : (doc.active as boolean));

/** The plain columns other modules (de-provisioning, roster) read, derived from the document, and the user's rendered answer. */
export function userColumns(id: string, doc: ScimDoc): Record<string, unknown> {
  const name = (doc.name ?? {}) as Record<string, string | undefined>;
  const ent = (doc[ENTERPRISE_USER] ?? {}) as Record<string, any>;
  const userName = doc.userName as string;
  const active = activeOf(doc);
  return {
    user_name: userName,
    user_name_lower: userName.toLowerCase(),
    external_id: (doc.externalId as string | undefined) ?? null,
    active,
    display_name: (doc.displayName as string | undefined) ?? null,
    given_name: name.givenName ?? null,
    family_name: name.familyName ?? null,
    email: preferred(doc.emails),
    title: (doc.title as string | undefined) ?? null,
    department: ent.department ?? null,
    phone: preferred(doc.phoneNumbers),
    preferred_language: (doc.preferredLanguage as string | undefined) ?? null,
    timezone: (doc.timezone as string | undefined) ?? null,
    employee_number: ent.employeeNumber ?? null,
    manager_id: ent.manager?.value ?? null,
    cost_center: ent.costCenter ?? null,
    emails: JSON.stringify(doc.emails ?? []),
    resource: JSON.stringify(doc),
    rendered: JSON.stringify(userBody(id, doc, active)),
    rendered_format: RENDERED_FORMAT,
  };
}

export type GroupRef = { value: string; display: string };

const groupsOut = (ds: DirectoryScope, groups: GroupRef[]) => groups.map((g) => ({ value: g.value, display: g.display, $ref: `${ds.baseUrl}/Groups/${g.value}`, type: 'direct' }));

function metaOf(ds: DirectoryScope, row: UserRow) {
  return {
    resourceType: 'User',
    created: new Date(row.created_at).toISOString(),
    lastModified: new Date(row.updated_at).toISOString(),
    location: `${ds.baseUrl}/Users/${row.id}`,
    version: etagOf(row.version),
  };
}

export function renderUser(ds: DirectoryScope, row: UserRow, groups: GroupRef[]): Record<string, unknown> {
  const body = userBody(row.id, json<ScimDoc>(row.resource), row.active);
  if (groups.length) body.groups = groupsOut(ds, groups);
  body.meta = metaOf(ds, row);
  return body;
}

/**
 * The same answer as JSON text, added to `body`: spliced from the stored `rendered` text when the
 * row has one of this layout (the same bytes `renderUser` would serialise), else serialised from
 * the document.
 */
export function addUserText(body: Utf8Body, ds: DirectoryScope, row: UserRow, groups: GroupRef[]): Utf8Body {
  if (row.rendered_format !== RENDERED_FORMAT || typeof row.rendered !== 'string') return body.add(JSON.stringify(renderUser(ds, row, groups)));
  const tail = `${groups.length ? `,"groups":${JSON.stringify(groupsOut(ds, groups))}` : ''},"meta":${JSON.stringify(metaOf(ds, row))}}`;
  return body.add(row.rendered, true).add(tail);
}

export async function groupsOf(ds: DirectoryScope, userIds: string[]): Promise<Map<string, GroupRef[]>> {
  const out = new Map<string, GroupRef[]>();
  if (!userIds.length) return out;
  const rows = (await ds
    .table('scim_group_members as m')
    .join('scim_groups as g', 'g.id', 'm.group_id')
    .whereIn('m.user_id', userIds)
    .orderBy('g.seq')
    .select('m.user_id', 'g.id', 'g.display_name')) as Array<{ user_id: string; id: string; display_name: string }>;
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({ value: r.id, display: r.display_name });
    out.set(r.user_id, list);
  }
  return out;
}

/** A user's groups as JSON, selected with the user so a read is one query. */
const GROUP_REFS = `(SELECT COALESCE(json_agg(json_build_object('value', g.id, 'display', g.display_name) ORDER BY g.seq), '[]'::json)
  FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = scim_users.id) AS group_refs`;

/** Ids are ours (prefix_hex); anything else cannot exist and is not worth a query. */
function checkUserId(id: string): void {
  if (!/^[a-z]{3}_[0-9a-f]{1,64}$/.test(id)) throw scimNotFound(`User ${id.slice(0, 100)} not found`);
}

export async function findUser(ds: DirectoryScope, id: string, lock = false): Promise<UserRow> {
  checkUserId(id);
  // A deleted user is gone for SCIM (RFC 7644 §3.6), though its row stays for the rest of Claresia.
  let q = ds.table<UserRow>('scim_users').where('scim_users.id', id).whereNull('scim_users.deleted_at');
  // A locked read (before a write) needs no groups; FOR UPDATE cannot take an aggregate anyway.
  q = lock ? q.first().forUpdate() : q.first('scim_users.*', ds.db.raw(GROUP_REFS));
  const row = (await q) as UserRow | undefined;
  if (!row) throw scimNotFound(`User ${id.slice(0, 100)} not found`);
  return row;
}

/**
 * What an answer is rendered from: a list reads no more than this (no second copy of the emails
 * to parse). Times come as epoch milliseconds, exact (numeric, cut to the millisecond a Date
 * holds): a page of 100 users otherwise parses 200 timestamp strings into Dates only to format them again.
 */
const epochMs = (c: string) => `(extract(epoch from date_trunc('milliseconds', scim_users.${c})) * 1000)::float8 AS ${c}`;
const ANSWERED = [...['id', 'seq', 'active', 'version'].map((c) => `scim_users.${c}`), epochMs('created_at'), epochMs('updated_at')];
const RENDERED = [...ANSWERED, 'scim_users.resource'];
/** For an answer with every attribute: the stored text, and the document only for a row without it. */
const CURRENT = `scim_users.rendered_format = ${RENDERED_FORMAT}`;
const RENDERED_PLAIN = [...ANSWERED, 'scim_users.rendered_format', `CASE WHEN ${CURRENT} THEN scim_users.rendered END AS rendered`, `CASE WHEN ${CURRENT} THEN NULL ELSE scim_users.resource END AS resource`];

/** `userName eq` and `id eq` match one user at most: userName is unique per directory, case-insensitively. */
function matchesOneAtMost(f: Filter | undefined): boolean {
  return f?.kind === 'compare' && f.op === 'eq' && !f.path.sub && (!f.path.schema || f.path.schema.toLowerCase() === CORE_USER.toLowerCase()) && ['username', 'id'].includes(f.path.attr.toLowerCase());
}

/**
 * A page of users and the total, in one statement: a full page (a broad filter, a listing)
 * needs the count, and asking for it in the same round trip costs a filtered lookup (which is
 * what IdPs send) one index probe more and saves every full page a round trip. The count is a
 * scalar subquery of the page rather than a join of the two. The statement is prepared: planning
 * it cost PostgreSQL ~1 ms a page, as much as running it. `plain`: the answer has every attribute
 * (no attributes/excludedAttributes), so rows may come as their stored rendering.
 */
export async function listUsers(ds: DirectoryScope, filter: Filter | undefined, startIndex: number, count: number, plain = false): Promise<{ total: number; rows: UserRow[] }> {
  // The filter indexes hold only users not deleted (migration 0490), so this keeps scans index-only.
  let q = ds.table<UserRow>('scim_users').whereNull('scim_users.deleted_at');
  if (filter) {
    const c = compileFilter(USER_FILTERS, filter);
    q = q.whereRaw(c.sql, c.bindings as never[]);
  }
  const total = () => q.clone().count({ n: '*' });
  const counted = async () => Number(((await total()) as Array<{ n: number | string }>)[0]!.n);
  if (count === 0) return { total: await counted(), rows: [] };
  const columns = [...(plain ? RENDERED_PLAIN : RENDERED).map((c) => ds.db.raw(c)), ds.db.raw(GROUP_REFS)];
  if (startIndex === 1 && matchesOneAtMost(filter)) {
    // What IdPs send before each write: its page is its total, no count needed.
    const rows = (await prepared(q.clone().orderBy('scim_users.seq').limit(count).select(...columns))) as UserRow[];
    return { total: rows.length, rows };
  }
  // The page is picked by seq alone, then its rows read: the filter's index carries seq
  // (migration 0480), so picking and counting are index-only scans of the same entries, and
  // the plan holds whatever the values (sw ranges are parameters), so it is prepared. The page
  // size is written into the text: a generic plan guesses a tenth of the table for a LIMIT it
  // cannot see, and then joins by scanning the whole table (and JIT-compiles for that cost).
  const picked = q.clone().select('scim_users.seq').orderBy('scim_users.seq').offset(startIndex - 1).limit(count, { skipBinding: true }).as('page');
  const page = ds.table('scim_users').join(picked, 'page.seq', 'scim_users.seq').orderBy('page.seq').select(...columns, ds.db.raw('(?) AS total_results', [total()]));
  const rows = (await prepared(page)) as Array<UserRow & { total_results: number | string }>;
  if (rows.length) return { total: Number(rows[0]!.total_results), rows };
  // An empty page from the first index has nothing to count; past the end, the total is counted alone.
  return { total: startIndex === 1 ? 0 : await counted(), rows };
}

/** The unique index of userNames (migration 0490): a deleted user's name may be taken again. */
const LIVE_USER_NAME = '(directory_id, user_name_lower) WHERE deleted_at IS NULL';

const taken = (userName: string) => uniqueness(`userName "${userName.slice(0, 200)}" is already taken in this directory`);

function uniqueOr(err: unknown, userName: string): never {
  if (isUniqueViolation(err)) throw taken(userName);
  throw err;
}

/**
 * Creates users (one, or a burst arriving together) and settles each as stored, without reading
 * them back: answers are built from what was written, so the tenant's audit-chain lock is held
 * no longer than it must be. One multi-row INSERT; a userName already taken (in the directory,
 * or earlier in the same burst) is skipped by the unique index and refused, writing nothing.
 */
export async function createUsers(ds: DirectoryScope, bodies: unknown[]): Promise<Array<PromiseSettledResult<UserRow>>> {
  const out: Array<PromiseSettledResult<UserRow>> = new Array(bodies.length);
  const now = new Date();
  const rows: Array<{ at: number; doc: ScimDoc; row: Record<string, unknown> & { id: string }; userName: string; active: boolean }> = [];
  bodies.forEach((body, at) => {
    try {
      const doc = cleanDocument(USER_TYPE, body);
      const id = newId('usr', 12);
      const cols = userColumns(id, doc);
      const row = { id, ...cols, version: 1, created_at: now, updated_at: now, deactivated_at: cols.active ? null : now };
      rows.push({ at, doc, row, userName: cols.user_name as string, active: cols.active as boolean });
    } catch (reason) {
      out[at] = { status: 'rejected', reason };
    }
  });
  const inserted = rows.length
    ? new Set(((await ds.insert('scim_users', rows.map((r) => r.row)).onConflict(ds.db.raw(LIVE_USER_NAME)).ignore().returning('id')) as Array<{ id: string }>).map((r) => r.id))
    : new Set<string>();
  const created = rows.filter((r) => inserted.has(r.row.id));
  for (const r of rows) if (!inserted.has(r.row.id)) out[r.at] = { status: 'rejected', reason: taken(r.userName) };
  await ds.changedAll(
    created.map(({ row, userName, active }) => ({
      change: { kind: 'user' as const, op: 'created' as const, userIds: [row.id] },
      subjectId: row.id,
      event: { type: 'scim.user_created', data: { user_name: userName, active } },
    })),
  );
  for (const { at, doc, row } of created) {
    out[at] = { status: 'fulfilled', value: { ...row, tenant_id: ds.tenantId, directory_id: ds.directoryId, seq: 0, resource: doc, group_refs: [] } as unknown as UserRow };
  }
  return out;
}

/** Attributes whose values differ, by name (for the audit trail; values are not repeated). */
function changedAttributes(before: ScimDoc, after: ScimDoc): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** Stores a new document for a user and records what happened (nothing, if nothing changed). */
async function storeUser(ds: DirectoryScope, row: UserRow, doc: ScimDoc, via: string): Promise<string> {
  const before = json<ScimDoc>(row.resource);
  const changed = changedAttributes({ ...before, active: row.active }, { ...doc, active: activeOf(doc) });
  // An IdP's PUT often changes nothing: then nothing is derived (or rendered) for it.
  if (!changed.length) return row.id;
  const cols = userColumns(row.id, doc);
  const now = new Date();
  const deactivating = row.active && !cols.active;
  const reactivating = !row.active && cols.active;
  try {
    await ds
      .table('scim_users')
      .where('scim_users.id', row.id)
      .update({ ...cols, version: row.version + 1, updated_at: now, ...(deactivating ? { deactivated_at: now } : reactivating ? { deactivated_at: null } : {}) });
  } catch (err) {
    uniqueOr(err, cols.user_name as string);
  }
  const op = deactivating ? 'deprovisioned' : reactivating ? 'reactivated' : 'updated';
  // The runbook names the de-provisioning event `user_deactivated`, with actor `<idp>:scim`.
  const type = deactivating ? 'user_deactivated' : reactivating ? 'scim.user_reactivated' : 'scim.user_updated';
  await ds.changed(
    { kind: 'user', op, userIds: [row.id] },
    row.id,
    { type, data: { user_name: cols.user_name, via, changed } },
  );
  return row.id;
}

export async function replaceUser(ds: DirectoryScope, id: string, body: unknown, ifMatch?: string): Promise<string> {
  const row = await findUser(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  const doc = cleanDocument(USER_TYPE, body);
  // A PUT without `active` does not reactivate (or de-provision) anyone by omission.
  if (doc.active === undefined) doc.active = row.active;
  return storeUser(ds, row, doc, 'put');
}

export async function patchUser(ds: DirectoryScope, id: string, ops: PatchOperation[], ifMatch?: string): Promise<string> {
  const row = await findUser(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  const current = { ...json<ScimDoc>(row.resource), active: row.active };
  return storeUser(ds, row, applyPatch(USER_TYPE, current, ops), 'patch');
}

/**
 * DELETE (RFC 7644 §3.6): from now on the user is 404 to SCIM, out of every list and group, and
 * its userName is free. It is de-provisioned first exactly as `active: false` is (sessions
 * revoked, roster member inactive, a publish, `user_deactivated`); the row stays, inactive and
 * marked deleted, so what reads users outside SCIM sees a de-provisioned one that cannot come back.
 */
export async function deleteUser(ds: DirectoryScope, id: string, ifMatch?: string): Promise<void> {
  // Its groups first, then the user: the order a group PATCH takes them in.
  checkUserId(id);
  await lockGroupsOf(ds, id);
  const row = await findUser(ds, id, true);
  checkIfMatch(ifMatch, row.version);
  if (row.active) await storeUser(ds, row, { ...json<ScimDoc>(row.resource), active: false }, 'delete');
  const left = await leaveAllGroups(ds, row.id);
  const now = new Date();
  await ds.table('scim_users').where('scim_users.id', row.id).update({ deleted_at: now, updated_at: now, version: ds.db.raw('version + 1') });
  await ds.changedAll([...left, { subjectId: row.id, event: { type: 'scim.user_deleted', data: { user_name: row.user_name, groups_left: left.length } } }]);
}
