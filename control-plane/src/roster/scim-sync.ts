import type { TenantScope } from '../db/tenant-scope.js';
import { extendScimSync, type ScimSyncReport } from '../scim/sync-report.js';
import { EMAIL, scimEmail } from './email.js';
import { upsertMembers, type Audit, type IncomingMember, type UpsertTally } from './members.js';

/**
 * Step 8 from SCIM: every `POST /api/v1/roster/scim:sync` also brings the tenant's SCIM users
 * into the roster, classified by cc-061, inside the sync's own transaction. The whole
 * directory is walked in pages (members whose data did not change cost a read, not a write or
 * an event), so a user the previous sync missed is never lost. Overrides set by an admin are
 * kept, as with CSV imports.
 */

const PAGE = 500;
const LISTED = 100;

interface ScimUserRow {
  id: string;
  seq: number | string;
  user_name: string;
  email: string | null;
  given_name: string | null;
  family_name: string | null;
  title: string | null;
  department: string | null;
  active: boolean;
  manager_email: string | null;
}

export interface RosterSyncReport extends UpsertTally {
  members: number;
  deactivated: number;
  skipped_without_email: number;
  unmatched_users: Array<{ scim_user_id: string; email: string; title: string | null; candidate: string | null; confidence: number }>;
}

const clip = (v: string | null, max: number) => (v ? v.trim().slice(0, max) || null : null);

function toMember(u: ScimUserRow): IncomingMember | null {
  const email = scimEmail(u.email, u.user_name);
  if (!email || email.length > 254) return null;
  const manager = u.manager_email?.trim().toLowerCase() ?? null;
  return {
    email,
    first_name: clip(u.given_name, 200),
    last_name: clip(u.family_name, 200),
    title: clip(u.title, 300),
    department: clip(u.department, 200),
    manager_email: manager && EMAIL.test(manager) ? manager : null,
    scim_user_id: u.id,
    active: u.active,
  };
}

export async function syncRosterFromScim(scope: TenantScope, audit: Audit): Promise<RosterSyncReport> {
  const out: RosterSyncReport = { members: 0, created: 0, updated: 0, unchanged: 0, matched: 0, unmatched: 0, deactivated: 0, skipped_without_email: 0, unmatched_users: [] };
  // One address may be provisioned by two directories; the first (oldest) user keeps it.
  const claimed = new Set<string>();
  let after = 0;
  for (;;) {
    const page = (await scope
      .table('scim_users as u')
      .leftJoin('scim_users as m', function () {
        this.on('m.id', '=', 'u.manager_id').andOn('m.tenant_id', '=', 'u.tenant_id');
      })
      .where('u.seq', '>', after)
      .orderBy('u.seq')
      .limit(PAGE)
      .select('u.id', 'u.seq', 'u.user_name', 'u.email', 'u.given_name', 'u.family_name', 'u.title', 'u.department', 'u.active', 'm.email as manager_email')) as ScimUserRow[];
    if (page.length === 0) break;
    after = Number(page[page.length - 1]!.seq);
    const batch: IncomingMember[] = [];
    for (const u of page) {
      const m = toMember(u);
      if (!m) {
        out.skipped_without_email++;
        continue;
      }
      if (claimed.has(m.email)) continue;
      claimed.add(m.email);
      batch.push(m);
    }
    const results = await upsertMembers(scope, 'scim', batch, audit, out);
    out.members += batch.length;
    results.forEach((r, i) => {
      const m = batch[i]!;
      if (!r.archetype && m.active !== false && out.unmatched_users.length < LISTED) {
        out.unmatched_users.push({ scim_user_id: m.scim_user_id!, email: m.email, title: m.title, candidate: r.candidate, confidence: r.confidence });
      }
    });
  }
  // Members whose SCIM user was deleted outright leave the active roster too.
  out.deactivated = await scope
    .table('roster_members')
    .where('source', 'scim')
    .where('active', true)
    .whereNotIn('scim_user_id', scope.table('scim_users').select('id'))
    .update({ active: false, updated_at: new Date() });
  return out;
}

/** Registered once at load: the SCIM module calls it inside every sync. */
extendScimSync(async (_trx, scope, report: ScimSyncReport, audit) => {
  report.roster = await syncRosterFromScim(scope, audit);
});
