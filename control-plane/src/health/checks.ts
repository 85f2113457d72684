import { NO_CONNECTOR_CONNECTED } from '../distribution/no-connector.js';
import type { Facts, PublishRequestFact } from './facts.js';

/**
 * The seven Command Center checks, as pure functions of the facts so every red and green is
 * testable on its own. A check is green only on positive evidence; anything missing (a
 * feature not deployed, nothing configured yet) is red with the reason and the next step.
 */

export type Status = 'green' | 'red';

export interface Check {
  name: 'identity' | 'distribution' | 'hub' | 'roster' | 'skills' | 'telemetry' | 'audit';
  status: Status;
  reason: string;
  action: string | null;
}

export const SCIM_FRESH_MS = 60 * 60 * 1000;
export const PUBLISH_SLA_MS = 60 * 1000;
/** Intervals without a link check after which a ready Mode C Hub's line says the monitor is behind (as the suggested /metrics alert). */
export const LINK_MONITOR_BEHIND_INTERVALS = 3;

const green = (name: Check['name'], reason: string): Check => ({ name, status: 'green', reason, action: null });
const red = (name: Check['name'], reason: string, action: string): Check => ({ name, status: 'red', reason, action });
const ago = (now: Date, t: Date) => {
  const s = Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};
const missingTables = (f: Facts, tables: string[]) => tables.filter((t) => f.missing.includes(t));

export function identityCheck(f: Facts): Check {
  const gone = missingTables(f, ['sso_connections', 'scim_directories', 'scim_users']);
  if (gone.length) return red('identity', `cannot be verified: the table(s) ${gone.join(', ')} do not exist on this control plane`, 'deploy a control plane version with SSO and SCIM, then run migrations');
  const sso = f.sso!;
  const scim = f.scim!;
  if (sso.total === 0) return red('identity', 'no SSO connection is configured', 'configure SSO: POST /api/v1/identity/sso/configure');
  if (sso.tested === 0) return red('identity', `${sso.total} SSO connection(s), none tested successfully`, 'run a test login: POST /api/v1/identity/sso/connections/{id}/test');
  if (scim.directories === 0) return red('identity', 'SSO is green but no SCIM directory is configured', 'configure SCIM: POST /api/v1/identity/scim/configure');
  if (!scim.last_sync_at) return red('identity', 'SSO is green but the IdP has not synced any user over SCIM', 'assign users to the Claresia app in the IdP and start provisioning');
  // An IdP with nothing to change only reads (Entra's cycle, Okta's imports), so the last write
  // alone would turn a healthy, stable tenant red an hour after its last change.
  const seen = scim.last_request_at && scim.last_request_at > scim.last_sync_at ? scim.last_request_at : scim.last_sync_at;
  const age = f.now.getTime() - seen.getTime();
  if (age > SCIM_FRESH_MS) {
    return red(
      'identity',
      `SSO is green but the IdP last reached the SCIM endpoint ${ago(f.now, seen)} (more than an hour; last change ${ago(f.now, scim.last_sync_at)})`,
      'check the provisioning status and the SCIM token in the IdP, or run POST /api/v1/roster/scim:sync',
    );
  }
  return green('identity', `SSO tested; the IdP reached SCIM ${ago(f.now, seen)}, last change ${ago(f.now, scim.last_sync_at)} (${scim.users} users)`);
}

const named = (c: { platform: string; id: string }) => `${c.platform} ${c.id}`;

/**
 * The time a connector's last_publish_at must reach to carry the last change. Every change of
 * grants makes a publish request stamped on the database's clock, the clock last_publish_at is
 * read from; the entitlement, pack and audit times are each replica's own clock, so a replica a
 * few ms ahead would read a published change as newer than its publish, for good. They count only
 * for a tenant with no request yet (changes made before requests were recorded).
 */
const publishedSince = (f: Facts): Date | null => f.publishing?.last_change_at ?? f.entitlements.last_change_at;

/**
 * Red when any platform does not have the current grants, naming each one and why: a connector
 * that is not connected gets no publish at all (so every later change misses it, whatever the
 * others show); a publish that failed (and was not repaired or superseded by a later request: a
 * newer pending one reads green, a publish under way) or has been waiting longer than the SLA; or a connector whose last publish predates the last change.
 */
export function distributionCheck(f: Facts): Check {
  if (!f.connectors) return red('distribution', 'cannot be verified: the table llm_connectors does not exist on this control plane', 'deploy a control plane version with LLM connectors, then run migrations');
  const connected = f.connectors.filter((c) => c.status === 'connected');
  if (f.connectors.length === 0) return red('distribution', 'no LLM platform is connected', 'add a connector: POST /api/v1/llm/connectors');
  const down = f.connectors.filter((c) => c.status !== 'connected');
  // An untested connector's reason changes with each attempt of its automatic test ("waiting:
  // ..."): in this line, which the tenant module outputs, it would change every plan's outputs
  // while nothing changed. The connector's own status_reason says why; this says what it is.
  const downReason = down
    .map((c) => `${named(c)} is ${c.status}${c.status === 'untested' ? ' (its automatic test has not passed yet; see the connector\'s status_reason)' : c.status_reason ? ` (${c.status_reason})` : ''}`)
    .join('; ');
  const downAction = `fix what each connector's reason names (its credential, its base_url or the platform), then test: ${down.map((c) => `POST /api/v1/llm/connectors/${c.id}:test`).join(', ')}; it republishes when the test passes`;
  if (connected.length === 0) return red('distribution', `${f.connectors.length} connector(s), none connected: ${downReason}`, downAction);
  if (down.length) return red('distribution', `${down.length} of ${f.connectors.length} connector(s) not connected, so no grants reach them: ${downReason}`, downAction);
  const p = f.publishing;
  if (p?.failed) {
    return red(
      'distribution',
      `the publish of request ${p.failed.id}${p.failed.reason ? ` (${p.failed.reason})` : ''} failed${p.failed.completed_at ? ` ${ago(f.now, p.failed.completed_at)}` : ''}: ${p.failed.last_error ?? 'no platform answer recorded'}`,
      failedPublishAction(f, p.failed),
    );
  }
  if (p?.open && f.now.getTime() - p.open.requested_at.getTime() > PUBLISH_SLA_MS) {
    return red(
      'distribution',
      `request ${p.open.id}${p.open.reason ? ` (${p.open.reason})` : ''}, made ${ago(f.now, p.open.requested_at)}, is not published within 60 s${p.open.last_error ? `; the last attempt failed: ${p.open.last_error}` : ''}`,
      `see GET /api/v1/skill-entitlement/distribution/requests/${p.open.id} and the connectors' last_publish_error; the publish is retried`,
    );
  }
  const change = publishedSince(f);
  if (!f.entitlements.last_change_at || !change) return red('distribution', `${connected.length} platform(s) connected but there are no skill entitlements to publish`, 'apply a Cowork pack: POST /api/v1/skill-entitlement/coworks/{pack}/apply');
  const stale = connected.filter((c) => !c.last_publish_at || c.last_publish_at < change);
  const overdue = f.now.getTime() - change.getTime() > PUBLISH_SLA_MS;
  if (stale.length && overdue) {
    return red(
      'distribution',
      `the last change (${ago(f.now, change)}) is not published to ${stale.map((c) => `${named(c)}${c.last_publish_error ? ` (last publish: ${c.last_publish_error})` : ''}`).join(', ')} within 60 s`,
      'republish: POST /api/v1/skill-entitlement/distribution:republish, then check the connector status',
    );
  }
  if (p?.open && p.superseded) {
    // The failure stays out of the verdict (the newer request carries the full set again) but is
    // named, so whoever saw it red knows which publish now stands for it.
    return green('distribution', `${connected.length} platform(s) connected; a publish is under way: request ${p.open.id}${p.open.reason ? ` (${p.open.reason})` : ''}, made ${ago(f.now, p.open.requested_at)}, is being published (within 60 s) after request ${p.superseded.id} failed`);
  }
  if (stale.length || p?.open) return green('distribution', `${connected.length} platform(s) connected; the change made ${ago(f.now, p?.open?.requested_at ?? change)} is being published (within 60 s)`);
  return green('distribution', `${connected.length} platform(s) connected and up to date with the last change`);
}

/**
 * What to do about a failed publish. One that found no connector connected sent nothing: no
 * platform answered and nothing retries it, so the way out is the connector it names, fixed and
 * tested (a pass republishes). Otherwise every connector is connected here and the control plane
 * retries on the slow schedule (distribution/publisher.ts giveUp); no time in the text: the tenant
 * module outputs this line, and a time would change it at every attempt.
 */
function failedPublishAction(f: Facts, failed: PublishRequestFact): string {
  if (failed.last_error?.startsWith(NO_CONNECTOR_CONNECTED)) {
    const listed = (f.connectors ?? []).filter((c) => failed.last_error!.includes(c.id));
    const which = listed.length ? listed : f.connectors ?? [];
    const tests = which.map((c) => `POST /api/v1/llm/connectors/${c.id}:test`).join(', ');
    const who = listed.length ? listed.map((c) => `${c.platform} connector ${c.id}`).join(', ') : 'the connector';
    const patch = `PATCH /api/v1/llm/connectors/${which.length === 1 ? which[0]!.id : '{id}'}`;
    return `nothing was sent to any platform, as the publish found no connector connected: fix ${who} (its credential, with ${patch}, or its base_url), then test it${tests ? `: ${tests}` : ''}; a passing test publishes the current grants`;
  }
  return `fix what the platform answered (GET /api/v1/llm/connectors/{id} shows last_publish_error); the control plane retries it by itself every CLARESIA_PUBLISH_RECOVERY_MS (30 min by default) while a connector is connected, and gives the connector up after CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS (72 h by default) without a success; to retry now: POST /api/v1/skill-entitlement/distribution:republish`;
}

export function hubCheck(f: Facts): Check {
  if (!f.hub) return red('hub', 'cannot be verified: the table hubs does not exist on this control plane', 'deploy a control plane version with the Hub, then run migrations');
  if (!f.hub.present) return red('hub', 'no Hub is provisioned', 'provision it: POST /api/v1/hub/provision');
  const h = f.hub;
  if (h.status !== 'ready') return red('hub', `the Mode ${h.mode} Hub is ${h.status}`, h.status === 'failed' ? 'see GET /api/v1/hub for the reason, fix it and provision again' : 'wait for provisioning to finish; GET /api/v1/hub shows progress');
  if (h.mode === 'B' && !h.cmek_key_id) return red('hub', 'the Mode B Hub has no CMEK key', 'provision the Hub again in Mode B so a CMEK key is created');
  if (h.mode === 'B' && !h.cmek_active) return red('hub', `the Mode B Hub's CMEK key ${h.cmek_key_id} is disabled`, 'enable or rotate the CMEK key');
  // No "ago" in these lines: the tenant module outputs them, and a reason that moved with the
  // clock would change the outputs of every plan. The times are on GET /api/v1/hub.
  if (h.mode === 'C' && h.link?.error) {
    const since = h.link.verified_at ? `; the link last passed a check at ${h.link.verified_at.toISOString()}` : '';
    return red(
      'hub',
      `the Mode C Hub is ready but its mTLS link failed the latest periodic check: ${h.link.error}${since}`,
      'make the endpoint at mtls_endpoint_url reachable from the control plane, serving a server certificate issued under customer_ca_certificate and trusting control_plane_client_certificate (GET /api/v1/hub shows them and link_checked_at); this check turns green once a check passes: reading the Hub or this health checks the link again, at most every 30 s',
    );
  }
  if (h.mode === 'B') return green('hub', `Mode B Hub ready with CMEK key ${h.cmek_key_id}`);
  const last = h.link?.checked_at ?? h.link?.ready_at;
  if (h.mode === 'C' && h.link && last && f.now.getTime() - last.getTime() > LINK_MONITOR_BEHIND_INTERVALS * h.link.interval_ms) {
    // The monitor checks every ready Mode C Hub each interval; three missed means no replica's
    // monitor is getting to it (stopped, failing on the database, or far behind), so the green
    // of the last check no longer says anything about the link now. The contract has green and
    // red only: like every check whose facts cannot be had, it cannot be verified, so red.
    return red(
      'hub',
      `the Mode C Hub is ready, but its mTLS link cannot be verified: the link monitor is behind, with no check since ${last.toISOString()} (more than ${LINK_MONITOR_BEHIND_INTERVALS} × CLARESIA_HUB_LINK_CHECK_SECONDS, ${(LINK_MONITOR_BEHIND_INTERVALS * h.link.interval_ms) / 1000} s)`,
      "check the control plane's logs for 'hub link monitor' errors, and that its replicas are running and reach the database (claresia_hub_link_oldest_check_age_seconds on /metrics shows how far behind); this check turns green at the next check",
    );
  }
  if (h.mode === 'C' && h.link?.checked_at) return green('hub', 'Mode C Hub ready; its mTLS link passed the latest check');
  return green('hub', `Mode ${h.mode} Hub ready`);
}

export function rosterCheck(f: Facts): Check {
  if (f.roster.users === 0) return red('roster', 'the roster is empty', 'import it: POST /api/v1/roster/csv, or sync from SCIM: POST /api/v1/roster/scim:sync');
  if (f.roster.unmatched > 0) return red('roster', `${f.roster.unmatched} of ${f.roster.users} users have no archetype`, 'review GET /api/v1/roster?unmatched=true and set each with PUT /api/v1/roster/members/{id}/archetype');
  return green('roster', `${f.roster.users} users, all mapped to an archetype`);
}

export function skillsCheck(f: Facts): Check {
  const granted = new Set(f.entitlements.archetypes);
  if (granted.size === 0) return red('skills', 'no archetype has skills', 'apply a Cowork pack: POST /api/v1/skill-entitlement/coworks/{pack}/apply');
  const without = f.roster.archetypes.filter((a) => !granted.has(a));
  if (without.length) return red('skills', `archetype(s) with users but no skills: ${without.join(', ')}`, 'apply a pack that covers them, or set them: PUT /api/v1/skill-entitlement/archetypes/{archetype}');
  const change = publishedSince(f)!;
  const published = (f.connectors ?? []).some((c) => c.status === 'connected' && c.last_publish_at && c.last_publish_at >= change);
  if (!published) return red('skills', `${granted.size} archetype(s) have skills but the current grants are not published to any platform`, 'connect a platform and republish: POST /api/v1/skill-entitlement/distribution:republish');
  return green('skills', `grants for ${granted.size} archetype(s) published`);
}

export function telemetryCheck(f: Facts): Check {
  if (f.telemetry.events === 0) return red('telemetry', 'no skill invocation has been received (smoke test not run)', 'invoke any skill from a connected platform; it reports to POST /api/v1/telemetry/events');
  return green('telemetry', `smoke test passed ${ago(f.now, f.telemetry.first_at!)}; ${f.telemetry.events} invocation(s) recorded`);
}

export function auditCheck(f: Facts): Check {
  const a = f.audit;
  if (!a.ok) {
    const b = a.first_broken!;
    return red(
      'audit',
      `the governance chain does not verify: event ${b.seq}${b.id !== null ? ` (id ${b.id})` : ''}: ${b.reason}`,
      'see GET /api/v1/hub/governance-events:verify; restore the governance events from a backup or contact Claresia support. This check stays red until that verify answers ok',
    );
  }
  if (!f.events.live) return red('audit', 'no tenant.live event in the governance trail', 'complete the smoke test: the first skill invocation records tenant.live');
  const gaps = a.legacy_gaps.length ? `; ${a.legacy_gaps.length} event(s) from before the upgrade to format 2 lack a Hub co-signature (legacy_gaps in :verify)` : '';
  return green('audit', `tenant.live is in the governance trail, verified through event ${a.head_seq}${gaps}`);
}

/** green when every check is green. */
export function overallStatus(checks: Check[]): Status {
  return checks.every((c) => c.status === 'green') ? 'green' : 'red';
}

export function allChecks(f: Facts): Check[] {
  return [identityCheck(f), distributionCheck(f), hubCheck(f), rosterCheck(f), skillsCheck(f), telemetryCheck(f), auditCheck(f)];
}
