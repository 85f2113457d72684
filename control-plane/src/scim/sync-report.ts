import type { Tx } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { StoredEvent, NewEvent } from '../audit/chain.js';
import { newId } from '../crypto/secrets.js';
import { json } from './context.js';
import { Listeners } from '../listeners.js';

/**
 * POST /api/v1/roster/scim:sync: what the IdPs wrote since the last sync (users created,
 * updated, de-provisioned, reactivated; groups; failed requests with their HTTP status and
 * body), recorded as `roster.scim_sync_completed`. Successful writes are read from their
 * governance events (the signed record of each change); failed ones from scim_changes. The
 * roster module extends the report (it classifies the synced users into archetypes) by
 * registering an extender.
 */

const LISTED = 1000;
const PAGE = 2000;

/** The SCIM events a sync reports, and what each one counts as. */
const USER_OPS: Record<string, 'created' | 'updated' | 'deprovisioned' | 'reactivated'> = {
  'scim.user_created': 'created',
  'scim.user_updated': 'updated',
  user_deactivated: 'deprovisioned',
  'scim.user_reactivated': 'reactivated',
};
const GROUP_OPS: Record<string, 'created' | 'updated' | 'deleted'> = {
  'scim.group_created': 'created',
  'scim.group_updated': 'updated',
  'scim.group_deleted': 'deleted',
};

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

/** Adds to a report, inside the sync transaction (e.g. archetype assignment of synced users). */
export type SyncExtender = (trx: Tx, scope: TenantScope, report: ScimSyncReport, audit: (e: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<StoredEvent>) => Promise<void>;

const extenders = new Listeners<Parameters<SyncExtender>>();

export const extendScimSync = (fn: SyncExtender): (() => void) => extenders.add(fn);

/** Accumulates a report from events and failures, in the order they happened. */
export class SyncReportBuilder {
  readonly report: ScimSyncReport;
  private readonly seen = new Map<string, Set<string>>();

  constructor(syncId: string, previousSyncAt: Date | null, now: Date) {
    this.report = {
      sync_id: syncId,
      previous_sync_at: previousSyncAt ? previousSyncAt.toISOString() : null,
      completed_at: now.toISOString(),
      changes: 0,
      users: { created: 0, updated: 0, deprovisioned: 0, reactivated: 0, created_ids: [], updated_ids: [], deprovisioned_ids: [], reactivated_ids: [] },
      groups: { created: 0, updated: 0, deleted: 0, ids: [] },
      errors: { total: 0, items: [] },
    };
  }

  private listOnce(list: string[], key: string, id: string | null) {
    if (!id) return;
    const s = this.seen.get(key) ?? new Set<string>();
    this.seen.set(key, s);
    if (!s.has(id) && list.length < LISTED) list.push(id);
    s.add(id);
  }

  event(type: string, subject: string | null): void {
    const u = USER_OPS[type];
    const g = GROUP_OPS[type];
    if (u) {
      this.report.users[u]++;
      this.listOnce(this.report.users[`${u}_ids`], u, subject);
    } else if (g) {
      this.report.groups[g]++;
      this.listOnce(this.report.groups.ids, 'groups', subject);
    } else return;
    this.report.changes++;
  }

  failure(at: Date, directoryId: string, kind: string, subjectId: string | null, detail: { method: string; path: string; status: number; body: unknown }): void {
    this.report.changes++;
    this.report.errors.total++;
    if (this.report.errors.items.length < LISTED) {
      this.report.errors.items.push({ at: new Date(at).toISOString(), directory_id: directoryId, kind, subject_id: subjectId, method: detail.method, path: detail.path, status: detail.status, body: detail.body });
    }
  }
}

/** Builds the report of everything since the previous sync, stores it and signs the event. */
export async function runScimSync(trx: Tx, scope: TenantScope, audit: (e: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<StoredEvent>): Promise<ScimSyncReport> {
  // One sync at a time per tenant, so two concurrent calls do not report one batch twice. NO KEY
  // UPDATE, not UPDATE: the latter also blocks the foreign-key checks of every insert that names
  // the tenant, so a writer holding the audit head and inserting its event deadlocked with a sync
  // waiting for that head.
  await trx('tenants').where({ id: scope.tenantId }).forNoKeyUpdate().first('id');
  const previous = (await scope.table('scim_syncs').orderBy('created_at', 'desc').first('created_at', 'last_event_seq')) as { created_at: Date; last_event_seq: number | string } | undefined;
  const fromSeq = Number(previous?.last_event_seq ?? 0);
  // Every event up to the committed head is itself committed: appends are serialised by the
  // head row and move it in their own transaction. Later ones belong to the next sync.
  const head = (await trx('audit_heads').where({ tenant_id: scope.tenantId }).first('seq')) as { seq: number | string };
  const toSeq = Number(head.seq);
  const syncId = newId('ssync');
  const now = new Date();
  const b = new SyncReportBuilder(syncId, previous ? new Date(previous.created_at) : null, now);
  const types = [...Object.keys(USER_OPS), ...Object.keys(GROUP_OPS)];
  for (let after = fromSeq; after < toSeq; ) {
    const page = (await scope
      .table('governance_events')
      .where('seq', '>', after)
      .andWhere('seq', '<=', toSeq)
      .whereIn('type', types)
      .andWhere('actor', 'like', '%:scim')
      .orderBy('seq')
      .limit(PAGE)
      .select('seq', 'type', 'subject')) as Array<{ seq: number | string; type: string; subject: string | null }>;
    if (!page.length) break;
    for (const e of page) b.event(e.type, e.subject);
    after = Number(page[page.length - 1]!.seq);
  }
  const failures = (await scope
    .table('scim_changes')
    .whereNull('sync_id')
    .update({ sync_id: syncId })
    .returning(['id', 'directory_id', 'kind', 'subject_id', 'detail', 'created_at'])) as Array<{ id: number | string; directory_id: string; kind: string; subject_id: string | null; detail: unknown; created_at: Date }>;
  failures.sort((x, y) => Number(x.id) - Number(y.id));
  for (const f of failures) b.failure(f.created_at, f.directory_id, f.kind, f.subject_id, json(f.detail));
  const report = b.report;
  await extenders.emit(trx, scope, report, audit);
  await scope.insert('scim_syncs', { id: syncId, changes: report.changes, last_event_seq: toSeq, report: JSON.stringify(report), created_at: now });
  await audit({
    type: 'roster.scim_sync_completed',
    subject: syncId,
    data: {
      changes: report.changes,
      users: { created: report.users.created, updated: report.users.updated, deprovisioned: report.users.deprovisioned, reactivated: report.users.reactivated },
      groups: report.groups.created + report.groups.updated + report.groups.deleted,
      errors: report.errors.total,
    },
  });
  return report;
}
