import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { withEnv } from '../support/until.js';

/** The value of one series in a Prometheus text page, or undefined when it is not there. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const kind of dbKinds()) {
  describe(`/metrics: Mode C Hub links that fail their re-check, and a link monitor that stopped checking [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let restoreEnv = () => {};
    before(async () => {
      // A day between checks: the monitor leaves the rows below as written while the test scrapes.
      restoreEnv = withEnv({ CLARESIA_HUB_LINK_CHECK_SECONDS: '86400' });
      cp = await startControlPlane({ db: kind });
    });
    after(async () => {
      await cp?.close();
      restoreEnv();
    });

    /** A Hub as the provisioner and the link monitor leave it; checked `checkedAgo` seconds ago. */
    const hub = async (over: { mode?: string; status?: string; checkedAgo?: number; linkError?: string | null }) => {
      const t = await cp.createTenant();
      const ago = (s: number) => cp.db.raw(`now() - make_interval(secs => ?)`, [s]);
      await cp.db('hubs').insert({
        id: `hub_${randomBytes(8).toString('hex')}`,
        tenant_id: t.id,
        mode: over.mode ?? 'C',
        region: 'eu-west-1',
        mtls_endpoint_url: 'https://hub.customer.example/claresia',
        status: over.status ?? 'ready',
        created_at: ago(7200),
        ready_at: ago(3600),
        link_checked_at: over.checkedAgo === undefined ? null : ago(over.checkedAgo),
        link_error: over.linkError ?? null,
      });
      return t;
    };

    it('counts ready Mode C Hubs whose link check failed, and how long ago the least recently checked one was checked', async () => {
      let page = await cp.metrics();
      assert.equal(sample(page, 'claresia_hub_links_failing'), 0, 'there at 0 before any Hub');
      assert.equal(sample(page, 'claresia_hub_link_oldest_check_age_seconds'), 0);

      await hub({ checkedAgo: 600, linkError: 'the endpoint did not answer (ECONNREFUSED)' });
      await hub({ checkedAgo: 60 });
      // Not ready, or not Mode C: their link is not re-checked, so neither counts.
      await hub({ status: 'failed', checkedAgo: 5000, linkError: 'the endpoint refused the client certificate' });
      await hub({ mode: 'A', checkedAgo: 9000, linkError: 'not a link' });

      page = await cp.metrics();
      assert.equal(sample(page, 'claresia_hub_links_failing'), 1);
      assert.equal(sample(page, 'claresia_hubs{mode="C",status="ready"}'), 2, 'a failing link leaves the Hub ready');
      const oldest = sample(page, 'claresia_hub_link_oldest_check_age_seconds')!;
      assert.ok(oldest >= 600 && oldest < 900, `oldest check ${oldest} s ago`);

      const series = page.split('\n').filter((l) => l.startsWith('claresia_hub_link'));
      assert.deepEqual(series.map((l) => l.split(' ')[0]), ['claresia_hub_links_failing', 'claresia_hub_link_oldest_check_age_seconds'], 'one series each, no label');
    });
  });
}
