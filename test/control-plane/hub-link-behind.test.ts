/**
 * A ready Mode C Hub whose link has not been checked for more than three intervals reads red
 * on tenant health, as a link that cannot be verified (the contract has green and red only): the
 * link monitor is behind (stopped, failing on its database, or far behind), so the last green
 * says nothing about the link now. /metrics had that as
 * claresia_hub_link_oldest_check_age_seconds; a tenant reading its health had no sign of it.
 */
import assert from 'node:assert/strict';
import { hubCheck, LINK_MONITOR_BEHIND_INTERVALS, overallStatus, type Check } from '../../control-plane/src/health/checks.js';
import type { Facts, HubLinkFact } from '../../control-plane/src/health/facts.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { withEnv } from '../support/until.js';
import { hubReads, readyModeCHub } from '../support/hub-link.js';

const now = new Date('2026-12-02T12:00:00Z');
const INTERVAL_MS = 300_000;
const ago = (ms: number) => new Date(now.getTime() - ms);

function modeC(link: Partial<HubLinkFact>): Facts {
  const full: HubLinkFact = { checked_at: ago(60_000), verified_at: ago(60_000), error: null, ready_at: ago(86_400_000), interval_ms: INTERVAL_MS, ...link };
  return { now, hub: { present: true, mode: 'C', status: 'ready', cmek_key_id: null, cmek_active: false, link: full } } as unknown as Facts;
}

describe('hub health line when the link monitor is behind', () => {
  const behind = LINK_MONITOR_BEHIND_INTERVALS * INTERVAL_MS;

  it('is red, cannot be verified, with the last check and what to look at, once the last check is older than three intervals', () => {
    const last = ago(behind + 1000);
    const c = hubCheck(modeC({ checked_at: last, verified_at: last }));
    assert.equal(c.status, 'red');
    assert.equal(
      c.reason,
      `the Mode C Hub is ready, but its mTLS link cannot be verified: the link monitor is behind, with no check since ${last.toISOString()} (more than 3 × CLARESIA_HUB_LINK_CHECK_SECONDS, 900 s)`,
    );
    assert.match(c.action!, /control plane's logs/);
    assert.match(c.action!, /replicas are running and reach the database/);
  });

  it('is green up to three intervals', () => {
    assert.equal(hubCheck(modeC({ checked_at: ago(behind), verified_at: ago(behind) })).status, 'green');
  });

  it('counts from ready_at for a Hub never checked since it became ready', () => {
    assert.equal(hubCheck(modeC({ checked_at: null, verified_at: null, ready_at: ago(behind + 1000) })).status, 'red');
    assert.equal(hubCheck(modeC({ checked_at: null, verified_at: null, ready_at: ago(1000) })).status, 'green');
  });

  it('a failing link keeps its own reason: what the last check found says more than its age', () => {
    const c = hubCheck(modeC({ checked_at: ago(behind + 1000), error: 'the endpoint could not be reached (ECONNREFUSED)' }));
    assert.equal(c.status, 'red');
    assert.match(c.reason, /failed the latest periodic check: the endpoint could not be reached/);
  });

  it('overall is green only when every check is green', () => {
    const c = (status: Check['status']) => ({ name: 'hub', status, reason: '', action: null }) as Check;
    assert.equal(overallStatus([c('green'), c('green')]), 'green');
    assert.equal(overallStatus([c('green'), c('red')]), 'red');
  });
});

for (const kind of dbKinds()) {
  describe(`tenant health with the link monitor behind [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let restore: () => void;

    before(async () => {
      restore = withEnv({ CLARESIA_HUB_POLL_MS: '40', CLARESIA_HUB_LINK_CHECK_SECONDS: '600' });
      endpoint = await startMtlsEndpoint();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await endpoint?.close();
      restore?.();
    });

    it('a ready Mode C Hub not checked for more than 3 × CLARESIA_HUB_LINK_CHECK_SECONDS reads red, and green once checked', async () => {
      const { t, hub } = await readyModeCHub(cp, endpoint);
      const hubLine = () => hubReads(() => cp).healthOf(t);

      assert.equal((await hubLine()).status, 'green');
      // As a stopped monitor leaves it: the last check more than three intervals (of 600 s) ago.
      const last = new Date(Date.now() - 3 * 600_000 - 60_000);
      await cp.db('hubs').where({ id: hub.id }).update({ link_checked_at: last, link_verified_at: last });
      const line = await hubLine();
      assert.equal(line.status, 'red');
      assert.match(line.reason, new RegExp(`cannot be verified: the link monitor is behind, with no check since ${last.toISOString()} \\(more than 3 × CLARESIA_HUB_LINK_CHECK_SECONDS, 1800 s\\)`));

      await cp.db('hubs').where({ id: hub.id }).update({ link_checked_at: new Date() });
      assert.equal((await hubLine()).status, 'green');
    });
  });
}
