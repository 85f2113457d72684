/**
 * A read of a ready Mode C Hub whose link is failing (GET /api/v1/hub, GET /api/v1/hubs/{id},
 * tenant health) checks the link again when its last check is older than the floor, so a fixed
 * endpoint reads green at once instead of up to an interval later (hub/link-on-read.ts). Real mTLS
 * endpoint behind a loopback relay; the loss is found by a periodic check on an injected clock.
 */
import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { behind, captureLogs, FAST_PROVISIONER, hubReads, readyModeCHub } from '../support/hub-link.js';
import { startBlackHole, type BlackHole } from '../support/platforms/black-hole.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';
import { READ_CHECK_CONCURRENCY, READ_CHECK_FLOOR_MS } from '../../control-plane/src/hub/link-on-read.js';

const REFUSED = 'the endpoint could not be reached (ECONNREFUSED)';

for (const kind of dbKinds()) {
  describe(`hub link checked again on read [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let hole: BlackHole;
    let restore: () => void;
    const logs = captureLogs();

    afterEach(async () => {
      relay.release();
      if (!relay.listening) await relay.start();
    });
    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      endpoint = await startMtlsEndpoint();
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      hole = await startBlackHole();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger });
    });
    after(async () => {
      await cp?.close();
      await relay?.stop();
      await endpoint?.close();
      await hole?.close();
      restore?.();
    });

    const { hubOf, healthOf: hubCheckOf, events } = hubReads(() => cp);
    const probesOf = (hub: { control_plane_client_certificate_sha256: string }) => endpoint.requests.filter((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256).length;
    /** As if the periodic check that found the loss had run `ms` ago. */
    const lastCheckedAgo = async (hubId: string, ms: number) => {
      await cp.db('hubs').where({ id: hubId }).update({ link_checked_at: new Date(Date.now() - ms) });
    };

    /**
     * A ready Mode C Hub behind the relay whose link a periodic check found lost (an interval on,
     * on an injected clock; the relay is left stopped). Only this tenant's Hub is due then: the
     * others' last checks are moved out of the way first.
     */
    async function lostHub() {
      if (!relay.listening) await relay.start();
      const { t, hub } = await readyModeCHub(cp, endpoint, behind(endpoint, relay));
      const at = new Date(Date.now() + provisionerSettings().linkCheckMs);
      await cp.db('hubs').whereNot({ id: hub.id }).update({ link_checked_at: at });
      await relay.stop();
      assert.equal(await recheckHubLinks(cp.server.ctx, provisionerSettings(), () => at), 1);
      const lost = await hubOf(t);
      assert.equal(lost.link_error, REFUSED);
      assert.equal((await events(t, 'hub.link_lost')).length, 1);
      return { t, hub };
    }

    it('a read of the Hub once the endpoint is fixed checks the link again and answers green; the loss ends with one hub.link_restored', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const before = probesOf(hub);

      const read = await hubOf(t);
      assert.equal(read.link_error, null, 'the fixed endpoint shows on this read, not an interval later');
      assert.ok(read.link_verified_at > hub.ready_at);
      assert.equal(read.link_checked_at, read.link_verified_at);
      assert.equal(read.status, 'ready');
      assert.equal(probesOf(hub) - before, 1);
      assert.deepEqual(await hubCheckOf(t), { name: 'hub', status: 'green', reason: 'Mode C Hub ready; its mTLS link passed the latest check', action: null });

      const restored = await events(t, 'hub.link_restored');
      assert.equal(restored.length, 1);
      assert.equal(restored[0].actor, 'claresia:hub-link-monitor');
      assert.equal(restored[0].data.previous_error, REFUSED);
      const said = logs.lines.filter((l) => l.hub_id === hub.id && /hub link restored/.test(l.msg));
      assert.deepEqual(said.map((l) => [l.level, l.msg]), [[30, 'hub link restored: the Mode C endpoint passed its periodic check, brought forward by a read']]);
      // A passing link is not probed on read.
      assert.equal((await cp.request('GET', `/api/v1/hubs/${hub.id}`, { token: t.token })).body.link_error, null);
      assert.equal(probesOf(hub) - before, 1);
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);
    });

    it('reading tenant health checks a failing link again too', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const check = await hubCheckOf(t);
      assert.equal(check.status, 'green', check.reason);
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
    });

    it('the read Terraform and Pulumi make (GET /api/v1/hubs/{id}, a refresh) checks a failing link again too', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const r = await cp.request('GET', `/api/v1/hubs/${hub.id}`, { token: t.token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.link_error, null);
      assert.equal(r.body.link_checked_at, r.body.link_verified_at);
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
    });

    it('a link checked less than the floor ago is answered as it is, without a probe, however often it is read', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS - 10_000);
      const before = probesOf(hub);
      for (let i = 0; i < 3; i++) assert.equal((await hubOf(t)).link_error, REFUSED);
      const red = await hubCheckOf(t);
      assert.equal(red.status, 'red');
      assert.match(red.action!, /reading the Hub or this health checks the link again, at most every 30 s/);
      assert.equal(probesOf(hub), before);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
    });

    it('a failing link still failing: the read records the new check, with no second hub.link_lost', async () => {
      const { t, hub } = await lostHub();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const started = Date.now();
      const read = await hubOf(t);
      assert.equal(read.link_error, REFUSED);
      assert.ok(new Date(read.link_checked_at).getTime() >= started - 1000, `checked again: ${read.link_checked_at}`);
      assert.equal((await events(t, 'hub.link_lost')).length, 1);
    });

    it('a check on read that times out leaves the last answer, and the reads after it do not wait for another', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const previous = (await cp.db('hubs').where({ id: hub.id }).first()).link_checked_at;
      // The endpoint accepts the connection and never answers.
      relay.hold();
      const read = await hubOf(t);
      assert.equal(relay.held, 1, 'the read tried');
      assert.equal(read.link_error, REFUSED, 'a short timeout is no verdict: the last one stands');
      assert.equal(read.link_checked_at, new Date(previous).toISOString());
      assert.equal((await hubCheckOf(t)).status, 'red');
      assert.equal((await hubOf(t)).link_error, REFUSED);
      assert.equal(relay.held, 1, 'no probe again within the floor');
      assert.equal((await events(t, 'hub.link_lost')).length + (await events(t, 'hub.link_restored')).length, 1);
    });

    it('two replicas reading at once probe the link once: the second answers with the last check', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      await lastCheckedAgo(hub.id, READ_CHECK_FLOOR_MS + 1000);
      const secondDb: Db | undefined = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const second: RunningServer = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
      try {
        relay.hold();
        const first = hubOf(t);
        await until('the first replica checking', async () => relay.held === 1);
        const other = await hubOf(t, second.url);
        assert.equal(other.link_error, REFUSED, 'the other replica left the check to the one running it');
        assert.equal(relay.held, 1, 'one probe');
        relay.release();
        assert.equal((await first).link_error, null);
        assert.equal((await events(t, 'hub.link_restored')).length, 1);
      } finally {
        await second.close();
        await secondDb?.destroy();
      }
    });

    it('many failing Hubs read at once (a Terraform refresh): every read answers, with at most a few probes at once per replica', async () => {
      const tenants: Array<{ t: TenantFixture; hub: any }> = [];
      for (let i = 0; i < READ_CHECK_CONCURRENCY + 3; i++) tenants.push(await lostHub());
      await relay.start();
      // Their endpoints now accept connections and never answer: each check runs until the read's deadline.
      await cp.db('hubs').whereIn('id', tenants.map((x) => x.hub.id)).update({ mtls_endpoint_url: hole.url, link_checked_at: new Date(Date.now() - READ_CHECK_FLOOR_MS - 1000) });
      const reads = await Promise.all(tenants.map(({ t }) => hubOf(t)));
      for (const r of reads) assert.equal(r.link_error, REFUSED);
      assert.ok(hole.accepted >= 1, 'the reads tried');
      assert.ok(hole.maxOpen <= READ_CHECK_CONCURRENCY, `${hole.maxOpen} probes at once`);
      await until('the probes closed', async () => hole.open === 0);
    });
  });
}
