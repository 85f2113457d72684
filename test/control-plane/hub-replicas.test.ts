import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';

const FAST_WORKER = { CLARESIA_HUB_POLL_MS: '20', CLARESIA_HUB_RETRY_MS: '30', CLARESIA_HUB_MAX_RETRY_MS: '60', CLARESIA_HUB_LINK_DEADLINE_SECONDS: '30' };

for (const kind of dbKinds()) {
  describe(`hub provisioner across replicas [${kind}]`, function () {
    let cp: TestControlPlane;
    let second: RunningServer;
    let secondDb: Db | undefined;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    const saved: Record<string, string | undefined> = {};

    before(async () => {
      for (const [k, v] of Object.entries(FAST_WORKER)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
      // The endpoint answers slowly, so a second replica has every chance to take a Hub that is already being worked.
      endpoint = await startMtlsEndpoint({ delayMs: 400 });
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      secondDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      second = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
    });
    after(async () => {
      await second?.close();
      await secondDb?.destroy();
      await cp?.close();
      await relay?.stop();
      await endpoint?.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    it('two replicas polling the same table work each Hub once', async () => {
      const hubs: Array<{ tenant: string; id: string; fingerprint: string }> = [];
      const viaRelay = endpoint.url.replace(`:${new URL(endpoint.url).port}/`, `:${relay.port}/`);
      for (let i = 0; i < 3; i++) {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        // Trusted before the first attempt reaches the endpoint, so it succeeds and any second attempt
        // would be a duplicate. The provisioner is woken as the create commits, before its answer
        // (and the certificate to trust) is back here: the relay holds that attempt until then.
        relay.hold();
        const res = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: viaRelay, customer_ca_certificate: endpoint.ca.pem } });
        assert.equal(res.status, 201, res.text);
        endpoint.trust(res.body.control_plane_client_certificate);
        relay.release();
        hubs.push({ tenant: t.id, id: res.body.id, fingerprint: new X509Certificate(res.body.control_plane_client_certificate).fingerprint256 });
      }
      const deadline = Date.now() + 20_000;
      while ((await cp.count('hubs', { status: 'ready' })) < hubs.length) {
        if (Date.now() > deadline) throw new Error('hubs did not become ready');
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const h of hubs) {
        const calls = endpoint.requests.filter((r) => r.clientFingerprint === h.fingerprint);
        assert.equal(calls.length, 1, `hub ${h.id} was probed ${calls.length} times`);
        assert.equal((await cp.db('hubs').where({ id: h.id }).first()).attempts, 1);
        assert.equal(await cp.count('governance_events', { tenant_id: h.tenant, type: 'hub.provisioned' }), 1);
        assert.equal(await cp.count('signing_keys', { tenant_id: h.tenant, purpose: 'hub' }), 1);
      }
    });
  });
}
