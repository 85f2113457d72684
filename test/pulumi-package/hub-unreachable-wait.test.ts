/**
 * A Hub waited for (waitForReady left at true) whose Mode C endpoint cannot be reached, through
 * the Pulumi plugin over gRPC with a real control plane (review r9 F2): Create and Update end at
 * the control plane's reason with a warning to the engine naming property mtlsEndpointUrl, the
 * Hub returned provisioning rather than failed at customTimeouts; once the endpoint is reachable
 * and trusts the certificate, an Update waits for ready as before.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { withEnv } from '../support/until.js';
import { js, launchPlugin, pb, req, secret, urnOf, type Plugin } from './support/engine.js';
import { Severity, startTestEngine, type TestEngine } from './support/test-engine.js';

const PACE = {
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
  CLARESIA_HUB_EARLY_MAX_RETRY_MS: '200',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '3600',
};

// Far beyond how long the control plane takes to find the endpoint out of reach: a wait that ran
// into it would fail the Create.
const TIMEOUT_SECONDS = 300;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

for (const kind of dbKinds()) {
  describe(`pulumi Hub wait on an endpoint out of reach [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let engine: TestEngine;
    let p: Plugin;
    let restore: () => void;
    const U = urnOf('Hub', 'c');

    before(async () => {
      restore = withEnv(PACE);
      endpoint = await startMtlsEndpoint();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      const t = await cp.createTenant({ deployment_mode: 'C' });
      engine = await startTestEngine();
      p = await launchPlugin({}, engine.address);
      await p.call('configure', req.configure({ endpoint: cp.url, clientId: t.clientId, clientSecret: secret(t.clientSecret) }));
    });
    after(async () => {
      await p?.stop();
      await engine?.close();
      await cp?.close();
      await endpoint?.close();
      restore?.();
    });

    const warnings = () => engine.logs.filter((l) => l.severity === Severity.WARNING && l.urn === U).map((l) => l.message);
    const update = (id: string, olds: Record<string, unknown>, news: Record<string, unknown>, oldInputs: Record<string, unknown>) => {
      const r = req.update(U, id, olds, news, false, oldInputs);
      r.setTimeout(TIMEOUT_SECONDS);
      return p.call<any>('update', r);
    };

    it('create and update end at an unreachable endpoint with a warning naming mtlsEndpointUrl; a reachable, trusting one is waited for', async () => {
      const ca = endpoint.ca.pem.trim();
      const refused = { mode: 'C', mtlsEndpointUrl: `https://127.0.0.1:${await closedPort()}/claresia`, customerCaCertificate: ca };
      const created = await p.call<any>('create', req.create(U, refused, false, TIMEOUT_SECONDS));
      const id: string = created.getId();
      let outs = js(created.getProperties());
      assert.equal(outs.status, 'provisioning');
      assert.equal(outs.statusReason, 'waiting: the endpoint could not be reached (ECONNREFUSED)');
      assert.deepEqual(warnings(), [
        `Hub ${id} is still provisioning: waiting: the endpoint could not be reached (ECONNREFUSED) (property mtlsEndpointUrl). ` +
          `The control plane goes on by itself; GET /api/v1/hubs/${id} shows the outcome, and \`pulumi refresh\` records it (status ready or failed).`,
      ]);

      const typo = { ...refused, mtlsEndpointUrl: 'https://hub.acme-typo.invalid:8443/claresia' };
      outs = js((await update(id, outs, typo, refused)).getProperties());
      assert.equal(outs.status, 'provisioning');
      assert.equal(outs.mtlsEndpointUrl, typo.mtlsEndpointUrl);
      assert.match(warnings()[1] ?? '', new RegExp(`^Hub ${id} is still provisioning: waiting: mtls_endpoint_url does not resolve \\(property mtlsEndpointUrl\\)\\.`));

      // The fix: an address that answers, trusting the Hub's certificate. That wait is for ready.
      endpoint.trust(outs.controlPlaneClientCertificate);
      const fixed = { ...refused, mtlsEndpointUrl: endpoint.url };
      outs = js((await update(id, outs, fixed, typo)).getProperties());
      assert.equal(outs.status, 'ready');
      assert.equal(warnings().length, 2, 'no warning once ready');
      await p.call('delete', req.delete(U, id, outs));
    });
  });
}
