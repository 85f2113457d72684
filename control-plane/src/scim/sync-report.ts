import type { Tx } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { StoredEvent, NewEvent } from '../audit/chain.js';
import { newId } from '../crypto/secrets.js';
import { json } from './context.js';

/**
 * POST /api/v1/roster/scim:sync: what the IdPs wrote since the last sync (users created,
 * updated, de-provisioned, reactivated; groups; failed requests with their HTTP status and
 * body), recorded as `roster.scim_sync_completed`. The roster module extends the report (it
 * classifies the synced users into archetypes) by registering an extender.
 */

const LISTED = 1000;

export interface ScimSyncReport {
  sync_id: string;
  previous_sync_at: string | null;
  completed_at: string;
  changes: number;
  users: {
    created: number;
    updated: number;
    deprovisioned: number;
    reactivated: number;
    /** Ids of the users concerned, at most 1000 per list (the counts are complete). */
    created_ids: string[];
    updated_ids: string[];
    deprovisioned_ids: string[];
    reactivated_ids: string[];
  };
  groups: { created: number; updated: number; deleted: number; ids: string[] };
  errors: { total: number; items: Array<{ at: string; directory_id: string; kind: string; subject_id: string | null; method: string; path: string; status: number; body: unknown }> };
  [extension: string]: unknown;
}

interface ChangeRow {
  id: number | string;
  directory_id: string;
  kind: 'user' | 'group';
  op: string;
  subject_id: string | null;
  detail: unknown;
  created_at: Date;
}

/** Adds to a report, inside the sync transaction (e.g. archetype assignment of synced users). */
export type SyncExtender = (trx: Tx, scope: TenantScope, report: ScimSyncReport, audit: (e: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<StoredEvent>) => Promise<void>;

const extenders: SyncExtender[] = [];

export function extendScimSync(fn: SyncExtender): () => void {
  extenders.push(fn);
  return () => {
    const i = extenders.indexOf(fn);
    if (i >= 0) extenders.splice(i, 1);
  };
}

/** Builds the report from change rows (in id order). */
export function buildSyncReport(syncId: string, rows: ChangeRow[], previousSyncAt: Date | null, now: Date): ScimSyncReport {
  const report: ScimSyncReport = {
    sync_id: syncId,
    previous_sync_at: previousSyncAt ? previousSyncAt.toISOString() : null,
    completed_at: now.toISOString(),
    changes: rows.length,
    users: { created: 0, updated: 0, deprovisioned: 0, reactivated: 0, created_ids: [], updated_ids: [], deprovisioned_ids: [], reactivated_ids: [] },
    groups: { created: 0, updated: 0, deleted: 0, ids: [] },
    errors: { total: 0, items: [] },
  };
  const seen = new Map<string, Set<string>>();
  const listOnce = (list: string[], key: string, id: string | null) => {
    if (!id) return;
    const s = seen.get(key) ?? new Set<string>();
    seen.set(key, s);
    if (!s.has(id) && list.length < LISTED) list.push(id);
    s.add(id);
  };
  for (const r of rows) {
    if (r.op === 'error') {
      const d = json<{ method: string; path: string; status: number; body: unknown }>(r.detail);
      report.errors.total++;
      if (report.errors.items.length < LISTED) {
        report.errors.items.push({ at: new Date(r.created_at).toISOString(), directory_id: r.directory_id, kind: r.kind, subject_id: r.subject_id, method: d.method, path: d.path, status: d.status, body: d.body });
      }
      continue;
    }
    if (r.kind === 'user') {
      const op = r.op as 'created' | 'updated' | 'deprovisioned' | 'reactivated';
      if (!(op in report.users)) continue;
      report.users[op]++;
      listOnce(report.users[`${op}_ids`], op, r.subject_id);
    } else {
      const op = r.op as 'created' | 'updated' | 'deleted';
      if (!(op in report.groups)) continue;
      report.groups[op]++;
      listOnce(report.groups.ids, 'groups', r.subject_id);
    }
  }
  return report;
}

/** Claims every unreported change of the tenant, builds the report, stores it and signs the event. */
export async function runScimSync(trx: Tx, scope: TenantScope, audit: (e: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<StoredEvent>): Promise<ScimSyncReport> {
  // One sync at a time per tenant, so two concurrent calls do not split one batch of changes.
  await trx('tenants').where({ id: scope.tenantId }).forUpdate().first('id');
  const previous = (await scope.table('scim_syncs').orderBy('created_at', 'desc').first('created_at')) as { created_at: Date } | undefined;
  const syncId = newId('ssync');
  const rows = (await scope
    .table('scim_changes')
    .whereNull('sync_id')
    .update({ sync_id: syncId })
    .returning(['id', 'directory_id', 'kind', 'op', 'subject_id', 'detail', 'created_at'])) as ChangeRow[];
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  const now = new Date();
  const report = buildSyncReport(syncId, rows, previous ? new Date(previous.created_at) : null, now);
  for (const fn of extenders) await fn(trx, scope, report, audit);
  await scope.insert('scim_syncs', { id: syncId, changes: rows.length, report: JSON.stringify(report), created_at: now });
  await audit({
    type: 'roster.scim_sync_completed',
    subject: syncId,
    data: {
      changes: rows.length,
      users: { created: report.users.created, updated: report.users.updated, deprovisioned: report.users.deprovisioned, reactivated: report.users.reactivated },
      groups: report.groups.created + report.groups.updated + report.groups.deleted,
      errors: report.errors.total,
    },
  });
  return report;
}
