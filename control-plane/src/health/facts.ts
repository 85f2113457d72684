import type { Queryable } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { auditStatus } from '../audit/verification.js';
import { TenantScope } from '../db/tenant-scope.js';
import { provisionerSettings } from '../hub/settings.js';
import { rosterSummary } from '../roster/summary.js';
import { readHub, type HubRead } from './hub-read.js';
import { tableExists } from './schema-probe.js';

/**
 * Everything the health checks and the onboarding progress are computed from, read once per
 * request. A table another feature owns may not exist yet; it is listed in `missing` and the
 * check that needs it turns red saying so.
 */
export interface Facts {
  now: Date;
  tenant: { status: string; deployment_mode: string };
  missing: string[];
  sso: { total: number; tested: number } | null;
  /**
   * last_sync_at: the last change an IdP pushed (or sync recorded); last_request_at: the last
   * authenticated SCIM request of any method, reads included (stamped about once a minute).
   */
  scim: { directories: number; users: number; last_sync_at: Date | null; last_request_at: Date | null } | null;
  /** last_publish_at: the time of the snapshot the connector's last successful publish sent. */
  connectors: Array<{ id: string; platform: string; status: string; last_publish_at: Date | null; status_reason?: string | null; last_publish_error?: string | null }> | null;
  hub: { present: false } | { present: true; mode: string; status: string; cmek_key_id: string | null; cmek_active: boolean; link?: HubLinkFact } | null;
  roster: { users: number; unmatched: number; archetypes: string[] };
  entitlements: { archetypes: string[]; last_change_at: Date | null };
  /**
   * Publish requests: every change to who gets which skill (entitlements, packs, archetype
   * assignments, de-provisioning, RBAC groups and mappings) asks for one. `open`: the oldest not
   * yet completed; `failed`: the latest failure, unless a completed request followed it (a later
   * success publishes the full set, so it repairs it) or a request made after it is pending or
   * completed (its publish carries the full set again); `superseded`: that failure when a newer
   * request is what stands now; `last_change_at`: when the latest request was made, on the
   * database's clock (the only time comparable with last_publish_at).
   */
  publishing?: { open: PublishRequestFact | null; failed: PublishRequestFact | null; superseded?: PublishRequestFact | null; last_change_at: Date | null };
  telemetry: { events: number; first_at: Date | null };
  events: { login: boolean; config_changed: boolean; live: boolean; scim_sync_at: Date | null };
  /** The governance chain, verified from where the last verification stopped (audit/verification.ts). */
  audit: { ok: boolean; head_seq: number; first_broken?: { seq: number; id: number | null; reason: string }; legacy_gaps: number[] };
}

/**
 * A ready Mode C Hub's periodic link check (hub/link-monitor.ts): error is the latest check's
 * failure, null while it passes; interval_ms how often the monitor is to check it
 * (CLARESIA_HUB_LINK_CHECK_SECONDS), ready_at when it became ready (a Hub never checked since).
 */
export interface HubLinkFact {
  checked_at: Date | null;
  verified_at: Date | null;
  error: string | null;
  ready_at: Date | null;
  interval_ms: number;
}

export interface PublishRequestFact {
  id: string;
  reason: string | null;
  requested_at: Date;
  completed_at: Date | null;
  last_error: string | null;
}

const n = (v: unknown) => Number(v ?? 0);
const d = (v: unknown) => (v ? new Date(v as string) : null);
const latest = (...xs: Array<Date | null>) => xs.reduce<Date | null>((a, b) => (b && (!a || b > a) ? b : a), null);

async function present(db: Queryable, tables: string[], missing: string[]): Promise<boolean> {
  let ok = true;
  for (const t of tables) {
    if (!(await tableExists(db, t))) {
      missing.push(t);
      ok = false;
    }
  }
  return ok;
}

async function eventFacts(scope: TenantScope) {
  const rows = (await scope
    .table('governance_events')
    .whereIn('type', ['auth.login', 'tenant.config_changed', 'tenant.live', 'roster.scim_sync_completed'])
    .groupBy('type')
    .select('type')
    .max({ at: 'occurred_at' })) as Array<{ type: string; at: string }>;
  const at = new Map(rows.map((r) => [r.type, new Date(r.at)]));
  return { login: at.has('auth.login'), config_changed: at.has('tenant.config_changed'), live: at.has('tenant.live'), scim_sync_at: at.get('roster.scim_sync_completed') ?? null };
}

async function publishFacts(scope: TenantScope): Promise<NonNullable<Facts['publishing']>> {
  const cols = ['id', 'reason', 'requested_at', 'completed_at', 'last_error'];
  const fact = (r: Record<string, unknown> | undefined): PublishRequestFact | null =>
    r ? { id: String(r.id), reason: (r.reason as string | null) ?? null, requested_at: d(r.requested_at)!, completed_at: d(r.completed_at), last_error: (r.last_error as string | null) ?? null } : null;
  const open = await scope.table('distribution_requests').where('status', 'pending').orderBy([{ column: 'requested_at' }, { column: 'id' }]).first(cols);
  const done = await scope.table('distribution_requests').where('status', 'completed').max({ at: 'completed_at' }).first();
  let failed = scope.table('distribution_requests').where('status', 'failed');
  if (done?.at) failed = failed.where('completed_at', '>', done.at);
  const lastFailed = await failed.orderBy([{ column: 'completed_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first(cols);
  const newer = lastFailed ? await newerThan(scope, String(lastFailed.id)) : null;
  // changed_at only: it is on the database's clock, as last_publish_at is, and requested_at is on
  // the clock of whichever replica made the request; one a few ms ahead read every change as
  // made after the publish that carried it. requested_at stands in only for rows from before
  // changed_at existed.
  const last = await scope.table('distribution_requests').max({ changed: 'changed_at', requested: 'requested_at' }).first();
  return {
    open: fact(open),
    failed: newer ? null : fact(lastFailed),
    superseded: newer ? fact(lastFailed) : null,
    last_change_at: d(last?.changed) ?? d(last?.requested),
  };
}

/** A slow retry's own request (publisher.ts openRecoveryRequest): it retries the failure, it does not replace it. */
const RECOVERY_REQUESTER = 'claresia:distribution';

/**
 * A request made after the failed one that is pending or completed: a connector fixed and tested
 * (or any change) asks for a publish of the full set, so the failure is history and that request's
 * state is what the tenant has now. Made-times compare on the database's clock (changed_at), in
 * SQL so that no precision is lost on the way; requested_at only for rows from before changed_at.
 * A slow retry's request does not count: until it completes, the failure it retries still stands.
 */
async function newerThan(scope: TenantScope, failedId: string): Promise<boolean> {
  const made = 'COALESCE(changed_at, requested_at)';
  const row = await scope
    .table('distribution_requests')
    .whereIn('status', ['pending', 'completed'])
    .whereNot('requested_by', RECOVERY_REQUESTER)
    .whereRaw(`${made} > (SELECT ${made} FROM distribution_requests WHERE id = ?)`, [failedId])
    .first('id');
  return Boolean(row);
}

/**
 * `hubRead`: the Hub as the caller already read it (modules/health.ts, which checks a failing link
 * first), so that a health read probes the hubs table and reads its row once; read here if absent.
 */
export async function gatherFacts(db: Queryable, keys: KeyRing, tenantId: string, hubRead?: HubRead | null): Promise<Facts> {
  const scope = new TenantScope(db, tenantId);
  const missing: string[] = [];
  const tenant = await db('tenants').where({ id: tenantId }).first('status', 'deployment_mode');
  const events = await eventFacts(scope);
  const { ok, head_seq, first_broken, legacy_gaps } = await auditStatus(db, keys, tenantId);

  let sso: Facts['sso'] = null;
  if (await present(db, ['sso_connections'], missing)) {
    const rows = (await scope.table('sso_connections').select('status')) as Array<{ status: string }>;
    // A connection is proven once its test login succeeded (status green).
    sso = { total: rows.length, tested: rows.filter((r) => r.status === 'green').length };
  }

  let scim: Facts['scim'] = null;
  if (await present(db, ['scim_directories', 'scim_users'], missing)) {
    const [dirs] = (await scope.table('scim_directories').count({ c: '*' }).max({ at: 'last_request_at' })) as Array<{ c: unknown; at: unknown }>;
    // A user deleted through SCIM is gone for the tenant's count, but its DELETE was still the IdP syncing.
    const [users] = (await scope
      .table('scim_users')
      .select(db.raw('count(*) FILTER (WHERE deleted_at IS NULL) AS c'))
      .max({ at: 'updated_at' })) as Array<{ c: unknown; at: unknown }>;
    // Synced: the last sync the SCIM module recorded, or the last change an IdP pushed.
    scim = { directories: n(dirs?.c), users: n(users?.c), last_sync_at: latest(events.scim_sync_at, d(users?.at)), last_request_at: d(dirs?.at) };
  }

  let connectors: Facts['connectors'] = null;
  if (await present(db, ['llm_connectors'], missing)) {
    const rows = (await scope.table('llm_connectors').orderBy('id').select('id', 'platform', 'status', 'status_reason', 'last_publish_at', 'last_publish_error')) as Array<Record<string, unknown>>;
    connectors = rows.map((r) => ({
      id: String(r.id),
      platform: String(r.platform),
      status: String(r.status),
      status_reason: (r.status_reason as string | null) ?? null,
      last_publish_at: d(r.last_publish_at),
      last_publish_error: (r.last_publish_error as string | null) ?? null,
    }));
  }
  const publishing = await publishFacts(scope);

  let hub: Facts['hub'] = null;
  const hubs = hubRead === undefined ? await readHub(db, scope) : hubRead;
  if (!hubs) missing.push('hubs');
  else {
    const { columns: cols, row } = hubs;
    if (!row) hub = { present: false };
    else {
      const keyId = (row.cmek_key_id as string | null) ?? null;
      let active = false;
      if (keyId && (await tableExists(db, 'cmek_keys'))) active = !!(await scope.table('cmek_keys').where('id', keyId).whereNull('disabled_at').first('id'));
      // A control plane not yet migrated to the link checks has no such columns: no link fact.
      const link = cols.has('link_error')
        ? { checked_at: d(row.link_checked_at), verified_at: d(row.link_verified_at), error: (row.link_error as string | null) ?? null, ready_at: d(row.ready_at), interval_ms: provisionerSettings().linkCheckMs }
        : undefined;
      hub = { present: true, mode: String(row.mode), status: String(row.status), cmek_key_id: keyId, cmek_active: active, ...(link ? { link } : {}) };
    }
  }

  const summary = await rosterSummary(scope);
  const ents = (await scope.table('skill_entitlements').select('archetype', 'skills', 'updated_at')) as Array<{ archetype: string; skills: unknown; updated_at: string }>;
  const [lastPack] = (await scope.table('cowork_applications').max({ at: 'applied_at' })) as Array<{ at: unknown }>;
  const [lastRemoval] = (await scope.table('governance_events').whereIn('type', ['skill.entitlement_changed', 'cowork.removed']).max({ at: 'occurred_at' })) as Array<{ at: unknown }>;
  const granted = ents.filter((e) => (typeof e.skills === 'string' ? JSON.parse(e.skills) : (e.skills as string[])).length > 0).map((e) => e.archetype);
  const lastChange = latest(d(lastPack?.at), d(lastRemoval?.at), ...ents.map((e) => d(e.updated_at)));

  const [tel] = (await scope.table('telemetry_events').count({ c: '*' }).min({ at: 'received_at' })) as Array<{ c: unknown; at: unknown }>;

  return {
    now: new Date(),
    tenant: { status: tenant?.status ?? 'unknown', deployment_mode: tenant?.deployment_mode ?? 'A' },
    missing,
    sso,
    scim,
    connectors,
    hub,
    roster: { users: summary.users, unmatched: summary.unmatched, archetypes: Object.keys(summary.by_archetype) },
    entitlements: { archetypes: granted, last_change_at: lastChange },
    publishing,
    telemetry: { events: n(tel?.c), first_at: d(tel?.at) },
    events,
    audit: { ok, head_seq, first_broken, legacy_gaps },
  };
}
