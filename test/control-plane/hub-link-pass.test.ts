/**
 * A pass of the link monitor (hub/link-monitor.ts recheckHubLinks) checks due Hubs a few at a
 * time: one endpoint that does not answer no longer delays every Hub after it by a probe timeout,
 * and each Hub is still probed once per interval however many replicas run a pass at once.
 */
import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startBlackHole, type BlackHole } from '../support/platforms/black-hole.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { withEnv } from '../support/until.js';
import { FAST_PROVISIONER, readyModeCHub } from '../support/hub-link.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { LINK_CHECK_CONCURRENCY, recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';

const HUBS = LINK_CHECK_CONCURRENCY + 2;

for (const kind of dbKinds()) {
  describe(`hub link pass, several checks at once [${kind}]`, function () {
    this.timeout(90_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let hole: BlackHole;
    let restore: () => void;
    const hubIds: string[] = [];

    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      endpoint = await startMtlsEndpoint();
      hole = await startBlackHole();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      for (let i = 0; i < HUBS; i++) {
        const { hub } = await readyModeCHub(cp, endpoint);
        hubIds.push(hub.id);
      }
      // Their endpoints now accept connections and never answer: each probe runs to its timeout.
      await cp.db('hubs').whereIn('id', hubIds).update({ mtls_endpoint_url: hole.url });
    });
    after(async () => {
      await cp?.close();
      await endpoint?.close();
      await hole?.close();
      restore?.();
    });

    const settings = () => ({ ...provisionerSettings(), probeTimeoutMs: 1000 });

    it(`probes up to ${LINK_CHECK_CONCURRENCY} due Hubs at once, each once`, async () => {
      const s = settings();
      const at = new Date(Date.now() + s.linkCheckMs);
      assert.equal(await recheckHubLinks(cp.server.ctx, s, () => at), HUBS);
      assert.equal(hole.accepted, HUBS, 'one probe per Hub');
      assert.equal(hole.maxOpen, LINK_CHECK_CONCURRENCY, `${hole.maxOpen} probes at once`);
      const rows = await cp.db('hubs').whereIn('id', hubIds).select('link_checked_at', 'link_error');
      for (const r of rows) {
        assert.equal(new Date(r.link_checked_at).toISOString(), at.toISOString());
        assert.equal(r.link_error, 'the endpoint could not be reached (ETIMEDOUT)');
      }
      assert.equal(await recheckHubLinks(cp.server.ctx, s, () => at), 0, 'checked already this interval');
      assert.equal(hole.accepted, HUBS);
    });

    it('two replicas running a pass at the same time probe each Hub once between them', async () => {
      const s = settings();
      const at = new Date(Date.now() + 3 * s.linkCheckMs);
      const secondDb: Db | undefined = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const second: RunningServer = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
      try {
        const before = hole.accepted;
        const [a, b] = await Promise.all([recheckHubLinks(cp.server.ctx, s, () => at), recheckHubLinks(second.ctx, s, () => at)]);
        assert.equal(a + b, HUBS);
        assert.equal(hole.accepted - before, HUBS, 'one probe per Hub');
      } finally {
        await second.close();
        await secondDb?.destroy();
      }
    });
  });
}
