import { resourceByName } from '@claresia/catalog';
import type { Tx } from '../db/connection.js';
import { badRequest, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { parseListQuery, pageById } from '../http/list-query.js';
import { json } from '../scim/context.js';
import { runScimSync, type ScimSyncReport } from '../scim/sync-report.js';
import type { RosterSyncReport } from '../roster/scim-sync.js';
import type { Module } from './module.js';

/**
 * claresia_roster_sync: a SCIM roster sync as a resource. Creating one runs the same sync as
 * `POST /api/v1/roster/scim:sync`; reading it answers from the stored report, so a refresh never
 * syncs again. Every sync, however it was started, can be read and imported by its id.
 */

const def = resourceByName('roster_sync');
const TRIGGER_MAX = 500;

interface SyncRow {
  id: string;
  report: unknown;
  triggers: unknown;
  created_at: Date;
}

function present(row: SyncRow) {
  const r = json<ScimSyncReport>(row.report);
  const roster = r.roster as RosterSyncReport | undefined;
  return {
    id: row.id,
    triggers: row.triggers == null ? null : json<Record<string, string>>(row.triggers),
    completed_at: new Date(row.created_at).toISOString(),
    previous_sync_at: r.previous_sync_at,
    users_created: r.users.created,
    users_updated: r.users.updated,
    users_deprovisioned: r.users.deprovisioned,
    users_reactivated: r.users.reactivated,
    groups_changed: r.groups.created + r.groups.updated + r.groups.deleted,
    errors: r.errors.total,
    roster_members: roster?.members ?? 0,
    roster_unmatched: roster?.unmatched ?? 0,
  };
}

async function load(ctx: RequestContext, id: string): Promise<SyncRow> {
  const row = (await ctx.tenant().table('scim_syncs').where({ id }).whereNull('forgotten_at').first('id', 'report', 'triggers', 'created_at')) as SyncRow | undefined;
  if (!row) throw notFound(`roster sync ${id}`, 'id');
  return row;
}

async function create(ctx: RequestContext) {
  const triggers = (ctx.body as { triggers?: Record<string, string> | null }).triggers ?? null;
  for (const [k, v] of Object.entries(triggers ?? {})) {
    if (k.length > TRIGGER_MAX || v.length > TRIGGER_MAX) throw badRequest(`triggers["${k.slice(0, 40)}"]: keys and values are at most ${TRIGGER_MAX} characters`, `triggers.${k.slice(0, 40)}`);
  }
  const report = await runScimSync(ctx.db as Tx, ctx.tenant(), (e) => ctx.audit(e));
  if (triggers) await ctx.tenant().table('scim_syncs').where({ id: report.sync_id }).update({ triggers: JSON.stringify(triggers) });
  const row = await load(ctx, report.sync_id);
  return { status: 201, body: present(row), headers: { Location: `/api/v1/roster/syncs/${row.id}` } };
}

async function remove(ctx: RequestContext) {
  const row = await load(ctx, ctx.params.id!);
  await ctx.tenant().table('scim_syncs').where({ id: row.id }).update({ forgotten_at: new Date() });
  await ctx.audit({ type: 'roster.sync_forgotten', subject: row.id, data: {} });
  return { status: 204 };
}

async function list(ctx: RequestContext) {
  const q = ctx.tenant().table('scim_syncs').whereNull('forgotten_at').select('id', 'report', 'triggers', 'created_at');
  return { body: await pageById<SyncRow, ReturnType<typeof present>>(q, parseListQuery(ctx.query), present) };
}

export const rosterSyncsModule: Module = {
  name: 'roster-syncs',
  routes(r) {
    r.resource(def, { create, list, read: async (ctx) => ({ body: present(await load(ctx, ctx.params.id!)) }), delete: remove });
  },
};
