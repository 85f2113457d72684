import assert from 'node:assert/strict';
import { distributionCheck } from '../../control-plane/src/health/checks.js';
import type { Facts, PublishRequestFact } from '../../control-plane/src/health/facts.js';

const now = new Date('2026-11-24T12:00:00Z');
const sec = (s: number) => new Date(now.getTime() - s * 1000);

/** Two platforms, both connected and up to date: green. Each test breaks one fact. */
function published(): Facts {
  return {
    now,
    tenant: { status: 'live', deployment_mode: 'A' },
    missing: [],
    sso: { total: 1, tested: 1 },
    scim: { directories: 1, users: 2, last_sync_at: sec(300), last_request_at: sec(60) },
    connectors: [
      { id: 'llm_c', platform: 'claude', status: 'connected', status_reason: null, last_publish_at: sec(100), last_publish_error: null },
      { id: 'llm_g', platform: 'chatgpt', status: 'connected', status_reason: null, last_publish_at: sec(100), last_publish_error: null },
    ],
    hub: { present: true, mode: 'A', status: 'ready', cmek_key_id: null, cmek_active: false },
    roster: { users: 2, unmatched: 0, archetypes: ['eng'] },
    entitlements: { archetypes: ['eng'], last_change_at: sec(500) },
    publishing: { open: null, failed: null, last_change_at: sec(110) },
    telemetry: { events: 1, first_at: sec(50) },
    events: { login: true, config_changed: false, live: true, scim_sync_at: sec(300) },
    audit: { ok: true, head_seq: 9, legacy_gaps: [] },
  };
}

const request = (over: Partial<PublishRequestFact>): PublishRequestFact => ({ id: 'dist_1', reason: 'user scim_u1 deactivated', requested_at: sec(300), completed_at: null, last_error: null, ...over });

function expectRed(f: Facts, reason: RegExp) {
  const c = distributionCheck(f);
  assert.equal(c.status, 'red', c.reason);
  assert.match(c.reason, reason);
  assert.ok(c.action && c.action.length > 10, 'a red check says what to do');
  return c;
}

describe('health: the distribution check follows what reached each platform', () => {
  it('is green when every connector is connected and has the last change', () => {
    const c = distributionCheck(published());
    assert.equal(c.status, 'green', c.reason);
    assert.match(c.reason, /2 platform\(s\) connected and up to date/);
  });

  it('is red for a connector that is not connected even when another one is, naming it and why', () => {
    const f = published();
    f.connectors![1] = { ...f.connectors![1]!, status: 'untested', status_reason: null };
    const c = expectRed(f, /1 of 2 connector\(s\) not connected.*chatgpt llm_g is untested/);
    assert.match(c.action!, /llm_g:test/);
    f.connectors![1] = { ...f.connectors![1]!, status: 'failed', status_reason: 'publish refused: the chatgpt API answered HTTP 401 (invalid_api_key)' };
    expectRed(f, /chatgpt llm_g is failed \(publish refused: the chatgpt API answered HTTP 401 \(invalid_api_key\)\)/);
  });

  it('is red while a publish request failed after the last completed one, with the platform answer', () => {
    const f = published();
    f.publishing = { ...f.publishing!, failed: request({ status: 'failed', completed_at: sec(30), last_error: 'claude llm_c: the claude API answered HTTP 503 (overloaded_error)' } as Partial<PublishRequestFact>) };
    const c = expectRed(f, /request dist_1 \(user scim_u1 deactivated\) failed 30 s ago: claude llm_c: the claude API answered HTTP 503 \(overloaded_error\)/);
    // A publish out of attempts is retried on a slow schedule by itself: the action says so.
    assert.match(c.action!, /retries it by itself every CLARESIA_PUBLISH_RECOVERY_MS .*gives the connector up after CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS .*to retry now: POST \/api\/v1\/skill-entitlement\/distribution:republish/);
  });

  it('is red when a request (a lifecycle change as much as an entitlement change) waits past the 60 s SLA, with the last error while retrying', () => {
    const f = published();
    f.publishing = { open: request({ requested_at: sec(90), last_error: 'claude llm_c: the claude API answered HTTP 429 (rate_limit_error)' }), failed: null, last_change_at: sec(90) };
    expectRed(f, /request dist_1 \(user scim_u1 deactivated\), made 90 s ago, is not published within 60 s; the last attempt failed: claude llm_c: .*HTTP 429/);
    f.publishing = { open: request({ requested_at: sec(20) }), failed: null, last_change_at: sec(20) };
    const c = distributionCheck(f);
    assert.equal(c.status, 'green', c.reason);
    assert.match(c.reason, /being published/);
  });

  it('compares each connector with the last change any request covers, not only entitlement edits', () => {
    const f = published();
    f.publishing = { open: null, failed: null, last_change_at: sec(70) };
    f.connectors![0] = { ...f.connectors![0]!, last_publish_at: sec(100), last_publish_error: 'the claude API answered HTTP 500' };
    f.connectors![1] = { ...f.connectors![1]!, last_publish_at: sec(65) };
    expectRed(f, /the last change \(70 s ago\) is not published to claude llm_c \(last publish: the claude API answered HTTP 500\) within 60 s/);
  });
});
