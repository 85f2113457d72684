import { normalizeObject, resourceByName, responseSchema, type JsonSchema } from '@claresia/catalog';
import { liveUntil, overlapEnd, overlapFrom, rotationBody } from '../auth/credential-overlap.js';
import { newId } from '../crypto/secrets.js';
import type { RequestContext } from '../http/router.js';
import { markIssued } from '../http/issued-credential.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { validateBody } from '../http/validate.js';
import { json } from '../scim/context.js';
import { loadDirectory, newDirectoryToken, normalizeAllowlist, presentDirectory, TABLE, type StoredDirectory } from '../scim/directories.js';
import { emitScimChange } from '../scim/hooks.js';
import { runScimSync } from '../scim/sync-report.js';
import type { Tx } from '../db/connection.js';
import type { Module } from './module.js';
import { scimSyncSchema } from '../roster/openapi.js';

const def = resourceByName('scim_directory');

/**
 * The sync takes no options; a body is optional (the runbook sends none), but one naming a field
 * is refused, so a caller who believes it passed a setting learns it did not.
 */
const SYNC_BODY: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };

/**
 * A rotation ends the old token at once unless asked otherwise, as it always has: scripts that
 * rotate after a leak rely on it, and an overlap is a choice made knowing the IdP will be
 * updated within it.
 */
const TOKEN_OVERLAP_FIELD = 'token_overlap_seconds';
const DEFAULT_TOKEN_OVERLAP_SECONDS = 0;
const TOKEN_ROTATE = rotationBody(TOKEN_OVERLAP_FIELD, DEFAULT_TOKEN_OVERLAP_SECONDS, 'bearer token');

interface OverlapColumns {
  previous_token_hash: string | null;
  previous_token_expires_at: Date | null;
}

/**
 * The API view, with the id also under the name the runbook gives it: customers' scripts read
 * `directory_id` from configure (API.md, step 5), and the catalog declares both.
 */
function present(ctx: RequestContext, row: StoredDirectory, token: string | null = null) {
  const { id, ...rest } = presentDirectory(row, ctx.app.publicUrl(), token);
  return { id, directory_id: id, ...rest, previous_token_expires_at: liveUntil((row as StoredDirectory & Partial<OverlapColumns>).previous_token_expires_at) };
}

async function create(ctx: RequestContext) {
  const scope = ctx.tenant();
  const body = normalizeObject(def.attributes, ctx.body) as { idp: string; ip_allowlist?: string[] };
  const ipAllowlist = normalizeAllowlist(body.ip_allowlist);
  const id = newId('scim');
  const { token, hash } = newDirectoryToken();
  const now = new Date();
  await scope.insert(TABLE, { id, idp: body.idp, token_hash: hash, ip_allowlist: JSON.stringify(ipAllowlist), token_rotated_at: now, created_at: now, updated_at: now });
  await ctx.audit({ type: 'connector.added', subject: id, data: { kind: 'scim_idp', idp: body.idp, directory_id: id, ip_allowlist: ipAllowlist } });
  const row = await loadDirectory(scope, id);
  // An Idempotency-Key replay gives this token again only while no rotation has replaced it.
  const answer = markIssued(present(ctx, row, token), { kind: 'scim_bearer_token', tenantId: scope.tenantId, id, secret: token, created: 'object' });
  return { status: 201, body: answer, headers: { Location: `/api/v1/identity/scim/directories/${id}` } };
}

async function update(ctx: RequestContext) {
  const scope = ctx.tenant();
  const before = await loadDirectory(scope, ctx.params.id!, true);
  const patch = normalizeObject(def.attributes, ctx.body) as { ip_allowlist?: string[] | null };
  if (patch.ip_allowlist !== undefined) {
    const next = normalizeAllowlist(patch.ip_allowlist);
    const prev = json<string[]>(before.ip_allowlist);
    if (JSON.stringify(next) !== JSON.stringify(prev)) {
      await scope.table(TABLE).where({ id: before.id }).update({ ip_allowlist: JSON.stringify(next), updated_at: new Date() });
      await ctx.audit({ type: 'connector.changed', subject: before.id, data: { kind: 'scim_idp', idp: before.idp, changes: { ip_allowlist: { from: prev, to: next } } } });
    }
  }
  return { body: present(ctx, await loadDirectory(scope, before.id)) };
}

async function rotate(ctx: RequestContext) {
  const overlap = overlapFrom(TOKEN_ROTATE, TOKEN_OVERLAP_FIELD, DEFAULT_TOKEN_OVERLAP_SECONDS, ctx.body);
  const scope = ctx.tenant();
  const row = await loadDirectory(scope, ctx.params.id!, true);
  const { token, hash } = newDirectoryToken();
  // With no overlap the old hash is simply overwritten, so the old token stops working at commit.
  // With one, only the token just replaced is kept: a second rotation ends the first one's overlap.
  const [kept] = (await scope
    .table(TABLE)
    .where({ id: row.id })
    .update({
      token_hash: hash,
      previous_token_hash: overlap > 0 ? row.token_hash : null,
      previous_token_expires_at: overlapEnd(ctx.db, overlap),
      token_rotated_at: new Date(),
      updated_at: new Date(),
    })
    .returning(['previous_token_expires_at'])) as Array<{ previous_token_expires_at: Date | null }>;
  const until = kept!.previous_token_expires_at ? new Date(kept!.previous_token_expires_at).toISOString() : null;
  await ctx.audit({ type: 'connector.credential_rotated', subject: row.id, data: { kind: 'scim_idp', idp: row.idp, token_overlap_seconds: overlap, previous_token_expires_at: until } });
  // An Idempotency-Key replay gives this token again only while no later rotation has replaced it.
  const body = markIssued(present(ctx, await loadDirectory(scope, row.id), token), { kind: 'scim_bearer_token', tenantId: scope.tenantId, id: row.id, secret: token });
  return { body, headers: { 'Cache-Control': 'no-store' } };
}

/**
 * Removing a directory removes what it provisioned. Other modules hear it first as the
 * de-provisioning of every active user and the deletion of every group, so sessions and roles
 * go with them.
 */
async function remove(ctx: RequestContext) {
  const scope = ctx.tenant();
  const row = await loadDirectory(scope, ctx.params.id!, true);
  const base = { tenantId: row.tenant_id, directoryId: row.id, idp: row.idp };
  const active = ((await scope.table('scim_users').where({ directory_id: row.id, active: true }).select('id')) as Array<{ id: string }>).map((r) => r.id);
  if (active.length) await emitScimChange(ctx.db as Tx, { ...base, kind: 'user', op: 'deprovisioned', userIds: active }, ctx.app.keys);
  const groups = (await scope.table('scim_groups').where({ directory_id: row.id }).select('id', 'display_name')) as Array<{ id: string; display_name: string }>;
  for (const g of groups) {
    const members = ((await scope.table('scim_group_members').where({ group_id: g.id }).select('user_id')) as Array<{ user_id: string }>).map((m) => m.user_id);
    await emitScimChange(ctx.db as Tx, { ...base, kind: 'group', op: 'deleted', userIds: members, groupId: g.id, addedUserIds: [], removedUserIds: members, groupName: g.display_name }, ctx.app.keys);
  }
  // Users a SCIM DELETE deleted were removed then (scim.user_deleted); their rows only go now.
  const [users] = (await scope.table('scim_users').where({ directory_id: row.id }).whereNull('deleted_at').count({ n: '*' })) as Array<{ n: number | string }>;
  await scope.table('scim_group_members').where({ directory_id: row.id }).delete();
  await scope.table('scim_groups').where({ directory_id: row.id }).delete();
  await scope.table('scim_users').where({ directory_id: row.id }).delete();
  await scope.table(TABLE).where({ id: row.id }).delete();
  await ctx.audit({
    type: 'connector.removed',
    subject: row.id,
    data: { kind: 'scim_idp', idp: row.idp, users_removed: Number(users!.n), users_deprovisioned: active.length, groups_removed: groups.length },
  });
  return { status: 204 };
}

async function list(ctx: RequestContext) {
  return { body: await pageById<StoredDirectory, unknown>(ctx.tenant().table(TABLE), parseListQuery(ctx.query), (r) => present(ctx, r)) };
}

export const scimDirectoriesModule: Module = {
  name: 'scim-directories',
  routes(r) {
    const tag = def.name;
    r.resource(def, {
      create,
      list,
      read: async (ctx) => ({ body: present(ctx, await loadDirectory(ctx.tenant(), ctx.params.id!)) }),
      update,
      delete: remove,
    });
    r.route({
      method: 'POST',
      path: `${def.api.read.path}/token:rotate`,
      auth: 'tenant',
      summary: 'Issue a new bearer token (returned once); the old one stops working at once',
      response: { $ref: '#/components/schemas/ScimDirectory' },
      tag,
      handler: rotate,
    });
    r.route({
      method: 'POST',
      path: '/api/v1/roster/scim:sync',
      auth: 'tenant',
      summary: 'Report what the IdPs wrote through SCIM since the last sync (created, updated, de-provisioned, groups, errors); records roster.scim_sync_completed',
      tag: 'roster',
      response: scimSyncSchema,
      handler: async (ctx) => {
        if (ctx.body !== undefined) validateBody(SYNC_BODY, ctx.body);
        return { body: await runScimSync(ctx.db as Tx, ctx.tenant(), (e) => ctx.audit(e)) };
      },
    });
  },
};
