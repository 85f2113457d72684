import assert from 'node:assert/strict';
import { allChecks, auditCheck, distributionCheck, hubCheck, identityCheck, rosterCheck, skillsCheck, telemetryCheck } from '../../control-plane/src/health/checks.js';
import type { Facts } from '../../control-plane/src/health/facts.js';
import { onboardingSteps } from '../../control-plane/src/health/onboarding.js';

const now = new Date('2026-11-24T12:00:00Z');
const sec = (s: number) => new Date(now.getTime() - s * 1000);

/** A tenant with everything in place: every check green. Each test breaks one fact. */
function healthy(): Facts {
  return {
    now,
    tenant: { status: 'live', deployment_mode: 'B' },
    missing: [],
    sso: { total: 1, tested: 1 },
    scim: { directories: 1, users: 40, last_sync_at: sec(300), last_request_at: sec(60) },
    connectors: [{ id: 'llm_1', platform: 'claude', status: 'connected', last_publish_at: sec(100) }],
    hub: { present: true, mode: 'B', status: 'ready', cmek_key_id: 'cmek_1', cmek_active: true },
    roster: { users: 40, unmatched: 0, archetypes: ['eng', 'sales'] },
    entitlements: { archetypes: ['eng', 'sales', 'hr'], last_change_at: sec(130) },
    telemetry: { events: 3, first_at: sec(50) },
    events: { login: true, config_changed: false, live: true, scim_sync_at: sec(300) },
    audit: { ok: true, head_seq: 42, legacy_gaps: [] },
  };
}

function expectRed(check: { status: string; reason: string; action: string | null }, reason: RegExp) {
  assert.equal(check.status, 'red', check.reason);
  assert.match(check.reason, reason);
  assert.ok(check.action && check.action.length > 10, 'a red check says what to do');
}

describe('tenant health checks (facts to verdicts)', () => {
  it('are all green, in a fixed order, for a fully onboarded tenant', () => {
    const checks = allChecks(healthy());
    assert.deepEqual(checks.map((c) => c.name), ['identity', 'distribution', 'hub', 'roster', 'skills', 'telemetry', 'audit']);
    for (const c of checks) {
      assert.equal(c.status, 'green', `${c.name}: ${c.reason}`);
      assert.equal(c.action, null);
    }
    assert.deepEqual(onboardingSteps(healthy()).completed, 10);
  });

  it('identity: red without SSO, untested SSO, no SCIM directory, never synced, synced over an hour ago, or missing tables', () => {
    const f = healthy();
    expectRed(identityCheck({ ...f, sso: { total: 0, tested: 0 } }), /no SSO connection/);
    expectRed(identityCheck({ ...f, sso: { total: 2, tested: 0 } }), /none tested/);
    expectRed(identityCheck({ ...f, scim: { directories: 0, users: 0, last_sync_at: null, last_request_at: null } }), /no SCIM directory/);
    expectRed(identityCheck({ ...f, scim: { directories: 1, users: 0, last_sync_at: null, last_request_at: null } }), /not synced/);
    expectRed(identityCheck({ ...f, scim: { directories: 1, users: 5, last_sync_at: sec(3601), last_request_at: null } }), /more than an hour/);
    expectRed(identityCheck({ ...f, scim: { directories: 1, users: 5, last_sync_at: sec(3601), last_request_at: sec(3700) } }), /reached the SCIM endpoint 60 min ago \(more than an hour; last change 60 min ago\)/);
    assert.equal(identityCheck({ ...f, scim: { directories: 1, users: 5, last_sync_at: sec(3599), last_request_at: null } }).status, 'green');
  });

  it('identity: an IdP that only reads (nothing changed for hours) stays green while it keeps reaching SCIM', () => {
    const f = healthy();
    const polling = identityCheck({ ...f, scim: { directories: 1, users: 5, last_sync_at: sec(5 * 3600), last_request_at: sec(40 * 60) } });
    assert.equal(polling.status, 'green', polling.reason);
    assert.match(polling.reason, /reached SCIM 40 min ago, last change 5 h ago/);
    expectRed(identityCheck({ ...f, scim: { directories: 1, users: 5, last_sync_at: sec(5 * 3600), last_request_at: sec(61 * 60) } }), /61 min ago \(more than an hour; last change 5 h ago\)/);
    expectRed(identityCheck({ ...f, missing: ['scim_directories', 'scim_users'], scim: null }), /scim_directories, scim_users do not exist/);
  });

  it('distribution: red without a connected platform or with a change unpublished for more than 60 s', () => {
    const f = healthy();
    expectRed(distributionCheck({ ...f, connectors: [] }), /no LLM platform/);
    expectRed(distributionCheck({ ...f, connectors: [{ id: 'llm_1', platform: 'slack', status: 'failed', last_publish_at: null }] }), /none connected/);
    // A connector given up by the slow publish retry passed its last test and may hold a good
    // credential: the line says what its own reason names, not a failed test.
    const givenUp = distributionCheck({ ...f, connectors: [{ id: 'llm_1', platform: 'claude', status: 'failed', status_reason: 'publishing stopped: no publish succeeded for 72 h', last_publish_at: null }] });
    expectRed(givenUp, /none connected: claude llm_1 is failed \(publishing stopped: no publish succeeded for 72 h\)/);
    assert.doesNotMatch(givenUp.reason, /last test not passed/);
    assert.match(givenUp.action!, /its credential, its base_url or the platform\), then test: POST \/api\/v1\/llm\/connectors\/llm_1:test/);
    expectRed(distributionCheck({ ...f, entitlements: { archetypes: [], last_change_at: null } }), /no skill entitlements/);
    const stale = { ...f, connectors: [{ id: 'llm_1', platform: 'claude', status: 'connected', last_publish_at: sec(200) }] };
    expectRed(distributionCheck({ ...stale, entitlements: { ...f.entitlements, last_change_at: sec(61) } }), /not published to claude llm_1 within 60 s/);
    const pending = distributionCheck({ ...stale, entitlements: { ...f.entitlements, last_change_at: sec(30) } });
    assert.equal(pending.status, 'green');
    assert.match(pending.reason, /being published/);
    expectRed(distributionCheck({ ...f, connectors: null, missing: ['llm_connectors'] }), /llm_connectors does not exist/);
  });

  it('hub: red when absent, provisioning, failed, or Mode B without an active CMEK key', () => {
    const f = healthy();
    expectRed(hubCheck({ ...f, hub: { present: false } }), /no Hub/);
    expectRed(hubCheck({ ...f, hub: { present: true, mode: 'A', status: 'provisioning', cmek_key_id: null, cmek_active: false } }), /is provisioning/);
    expectRed(hubCheck({ ...f, hub: { present: true, mode: 'C', status: 'failed', cmek_key_id: null, cmek_active: false } }), /is failed/);
    expectRed(hubCheck({ ...f, hub: { present: true, mode: 'B', status: 'ready', cmek_key_id: null, cmek_active: false } }), /no CMEK key/);
    expectRed(hubCheck({ ...f, hub: { present: true, mode: 'B', status: 'ready', cmek_key_id: 'cmek_1', cmek_active: false } }), /disabled/);
    assert.match(hubCheck(f).reason, /CMEK key cmek_1/);
    assert.equal(hubCheck({ ...f, hub: { present: true, mode: 'A', status: 'ready', cmek_key_id: null, cmek_active: false } }).status, 'green');
    expectRed(hubCheck({ ...f, hub: null, missing: ['hubs'] }), /hubs does not exist/);
  });

  it('roster: red when empty or with unmatched users', () => {
    const f = healthy();
    expectRed(rosterCheck({ ...f, roster: { users: 0, unmatched: 0, archetypes: [] } }), /empty/);
    expectRed(rosterCheck({ ...f, roster: { users: 40, unmatched: 2, archetypes: ['eng'] } }), /2 of 40 users have no archetype/);
  });

  it('skills: red without grants, with a rostered archetype left out, or with grants not published', () => {
    const f = healthy();
    expectRed(skillsCheck({ ...f, entitlements: { archetypes: [], last_change_at: null } }), /no archetype has skills/);
    expectRed(skillsCheck({ ...f, roster: { ...f.roster, archetypes: ['eng', 'legal'] } }), /no skills: legal/);
    expectRed(skillsCheck({ ...f, connectors: [{ id: 'llm_1', platform: 'claude', status: 'connected', last_publish_at: sec(500) }] }), /not published/);
  });

  it('telemetry and audit: red until the smoke test and tenant.live', () => {
    const f = healthy();
    expectRed(telemetryCheck({ ...f, telemetry: { events: 0, first_at: null } }), /smoke test not run/);
    expectRed(auditCheck({ ...f, events: { ...f.events, live: false } }), /no tenant.live/);
  });

  it('audit: red with the first broken link when the chain does not verify, even with tenant.live', () => {
    const f = healthy();
    const broken = { ...f, audit: { ok: false, head_seq: 42, first_broken: { seq: 3, id: 17, reason: 'content does not match its hash' }, legacy_gaps: [] } };
    expectRed(auditCheck(broken), /does not verify: event 3 \(id 17\): content does not match its hash/);
    assert.match(auditCheck(f).reason, /verified through event 42/);
    assert.match(auditCheck({ ...f, audit: { ...f.audit, legacy_gaps: [7, 8] } }).reason, /2 event\(s\) from before the upgrade/);
  });

  it('derives onboarding progress from the same facts', () => {
    const f = healthy();
    const fresh: Facts = {
      ...f,
      sso: { total: 0, tested: 0 },
      scim: { directories: 0, users: 0, last_sync_at: null, last_request_at: null },
      connectors: [],
      hub: { present: false },
      roster: { users: 0, unmatched: 0, archetypes: [] },
      entitlements: { archetypes: [], last_change_at: null },
      telemetry: { events: 0, first_at: null },
      events: { login: true, config_changed: false, live: false, scim_sync_at: null },
    };
    const p = onboardingSteps(fresh);
    assert.deepEqual(p.steps.filter((s) => s.done).map((s) => s.step), [1, 2]);
    assert.deepEqual(onboardingSteps({ ...fresh, roster: { users: 3, unmatched: 1, archetypes: [] } }).steps.filter((s) => s.done).map((s) => s.step), [1, 2, 3, 8]);
  });
});
