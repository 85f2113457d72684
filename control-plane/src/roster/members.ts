import type { TenantScope } from '../db/tenant-scope.js';
import { newId } from '../crypto/secrets.js';
import { classify, CLASSIFIER_ID } from './classifier.js';
import type { Archetype } from './archetypes.js';
import { departures, existingUserIds, holderAfterVanished, type Departures } from './holders.js';

/** One person as a source (a CSV row, a SCIM user) describes them. */
export interface IncomingMember {
  email: string;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  department: string | null;
  manager_email: string | null;
  scim_user_id?: string | null;
  active?: boolean;
}

export interface MemberRow {
  id: string;
  tenant_id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  department: string | null;
  manager_email: string | null;
  source: string;
  scim_user_id: string | null;
  classified_archetype: string | null;
  confidence: number;
  override_archetype: string | null;
  archetype: string | null;
  active: boolean;
  /** A replace import took it off (csv-replace.ts); any write that lists or turns it on clears it. */
  off_by_file: boolean;
  created_at: Date;
  updated_at: Date;
}

export type Audit = (event: { type: string; subject?: string | null; data?: Record<string, unknown> }) => Promise<unknown>;

export interface UpsertTally {
  created: number;
  updated: number;
  unchanged: number;
  matched: number;
  unmatched: number;
}

export function presentMember(m: MemberRow) {
  return {
    id: m.id,
    email: m.email,
    first_name: m.first_name,
    last_name: m.last_name,
    title: m.title,
    department: m.department,
    manager_email: m.manager_email,
    source: m.source,
    archetype: m.archetype,
    classified_archetype: m.classified_archetype,
    confidence: Number(m.confidence),
    override_archetype: m.override_archetype,
    active: m.active,
    updated_at: new Date(m.updated_at).toISOString(),
  };
}

const COMPARED = ['first_name', 'last_name', 'title', 'department', 'manager_email', 'source', 'scim_user_id', 'classified_archetype', 'confidence', 'archetype', 'active', 'off_by_file'] as const;

export interface UpsertResult {
  id: string;
  email: string;
  archetype: Archetype | null;
  candidate: Archetype | null;
  confidence: number;
  /** An existing member turned active or inactive, or now follows another SCIM user. */
  access_changed: boolean;
  /** A CSV row at an address (work email or login) of a person SCIM de-provisioned: kept (or created) inactive. */
  deprovisioned: boolean;
}

export interface UpsertOptions {
  /**
   * For CSV rows: where SCIM de-provisioned someone (holders.ts departures), when the caller
   * read it once for a whole import. Read for the batch otherwise.
   */
  departures?: Departures;
}

/**
 * Serialises the roster writers of one tenant (CSV imports, SCIM syncs) until the transaction
 * ends. Each reads which members exist and then writes and audits on that reading: two imports
 * of one file read "absent" side by side, both counted every row created and audited member ids
 * that lost the insert race and were never stored. Taking it again in the same transaction is
 * free, so every batch takes it; a writer that changes members before its first batch takes it
 * first (scim-sync.ts), or it would wait here holding row locks an import is waiting for.
 */
export async function lockRoster(scope: TenantScope): Promise<void> {
  await scope.db.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`roster:${scope.tenantId}`]);
}

/**
 * Writes one batch of members (classified on the way) and records `rbac.archetype_assigned`
 * for each person whose effective archetype is new or changed. An admin's override is never
 * touched: it keeps deciding the archetype whatever the title says now.
 */
export async function upsertMembers(scope: TenantScope, source: 'csv' | 'scim', batch: IncomingMember[], audit: Audit, tally: UpsertTally, opts: UpsertOptions = {}): Promise<UpsertResult[]> {
  if (batch.length === 0) return [];
  await lockRoster(scope);
  // A CSV lists who works here, not who may sign in: a person the IdP took away stays away
  // until the IdP brings them back (SCIM re-activation turns the member on again).
  const gone = source === 'csv' ? (opts.departures ?? (await departures(scope, new Set(batch.map((b) => b.email))))) : undefined;
  // FOR UPDATE: an override PUT in flight is waited for and seen, not overwritten by an
  // archetype computed from the row as it was before (the PUT locks the row the same way).
  const existing = new Map<string, MemberRow>(
    ((await scope
      .table<MemberRow>('roster_members')
      .whereIn('email', batch.map((b) => b.email))
      .orderBy('email')
      .forUpdate()) as MemberRow[]).map((m) => [m.email, m]),
  );
  // A tie to a user that left with its directory: whom the member follows now is asked below.
  const ties = gone ? [...existing.values()].map((b) => b.scim_user_id).filter((id): id is string => id !== null) : [];
  const present = ties.length ? await existingUserIds(scope, ties) : new Set<string>();
  const now = new Date();
  const writes: Record<string, unknown>[] = [];
  const assigned: Array<{ id: string; email: string; from: string | null; to: string; confidence: number; override: boolean }> = [];
  const results: UpsertResult[] = [];
  for (const m of batch) {
    const c = classify(m.title, m.department);
    const before = existing.get(m.email);
    const archetype = (before?.override_archetype as Archetype | null | undefined) ?? c.archetype;
    const heldBy = gone?.deprovisioned.get(m.email);
    // The person is back (a new SCIM user after a DELETE, or in a new directory after the old one
    // was removed): the member follows that user, as de-provisioning one copy makes it follow
    // another (rbac/lifecycle.ts).
    const vanished = !!gone && !!before?.scim_user_id && !present.has(before.scim_user_id);
    const back = vanished ? await holderAfterVanished(scope, m.email, gone) : gone?.live.get(m.email);
    const result = { id: before?.id ?? newId('rm'), email: m.email, archetype, candidate: c.candidate, confidence: c.confidence, access_changed: false, deprovisioned: heldBy !== undefined };
    results.push(result);
    if (archetype) tally.matched++;
    else tally.unmatched++;
    const row = {
      id: result.id,
      email: m.email,
      first_name: m.first_name,
      last_name: m.last_name,
      title: m.title,
      department: m.department,
      manager_email: m.manager_email,
      source,
      // Tied to the de-provisioned user, so the member stays with that person from now on.
      scim_user_id: m.scim_user_id ?? (before?.scim_user_id && back ? back : (before?.scim_user_id ?? heldBy ?? null)),
      classified_archetype: c.archetype,
      confidence: c.confidence,
      override_archetype: before?.override_archetype ?? null,
      archetype,
      active: heldBy === undefined && (m.active ?? true),
      // Listed again (or written by SCIM): no longer a member the file took off.
      off_by_file: false,
      created_at: before?.created_at ?? now,
      updated_at: now,
    };
    if (before && COMPARED.every((k) => (k === 'confidence' ? Number(before[k]) === row[k] : (before[k] ?? null) === (row[k] ?? null)))) {
      tally.unchanged++;
      continue;
    }
    if (before) tally.updated++;
    else tally.created++;
    result.access_changed = !!before && (before.active !== row.active || (before.scim_user_id ?? null) !== row.scim_user_id);
    writes.push(row);
    if (archetype && archetype !== (before?.archetype ?? null)) {
      assigned.push({ id: row.id, email: m.email, from: before?.archetype ?? null, to: archetype, confidence: c.confidence, override: !!before?.override_archetype });
    }
  }
  if (writes.length) {
    await scope
      .insert('roster_members', writes)
      .onConflict(['tenant_id', 'email'])
      .merge([...COMPARED, 'updated_at']);
  }
  for (const a of assigned) {
    await audit({
      type: 'rbac.archetype_assigned',
      subject: a.id,
      data: { email: a.email, archetype: a.to, previous: a.from, by: a.override ? 'override' : CLASSIFIER_ID, confidence: a.confidence, source },
    });
  }
  return results;
}
