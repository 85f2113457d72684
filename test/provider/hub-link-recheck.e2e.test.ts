/**
 * The periodic link check of a ready Mode C Hub changes its read-only link_* attributes between
 * applies; with the real terraform binary, a configuration that changed nothing still plans
 * nothing, whether the link was just lost or just restored. The check is driven by an injected
 * clock (one pass a whole interval later), not by waiting for the interval.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const PACE = { CLARESIA_HUB_POLL_MS: '100', CLARESIA_HUB_RETRY_MS: '200', CLARESIA_HUB_MAX_RETRY_MS: '1000', CLARESIA_HUB_EARLY_MAX_RETRY_MS: '1000' };

const heredoc = (pem: string) => `<<-PEM\n${pem.trim()}\n  PEM`;

describe('claresia_hub link re-check with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let endpoint: MtlsEndpoint;
  let relay: TcpRelay;
  let restore: () => void;

  before(async () => {
    await buildProvider();
    restore = withEnv(PACE);
    endpoint = await startMtlsEndpoint();
    relay = await startTcpRelay(Number(new URL(endpoint.url).port));
    cp = await startControlPlane({ config: { allowPrivateUrls: true } });
  });
  after(async () => {
    await cp?.close();
    await relay?.stop();
    await endpoint?.close();
    restore?.();
  });

  const tenantWorkspace = (t: TenantFixture) => workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
  const hubIn = (ws: Workspace) => ws.state().resources.find((r: any) => r.type === 'claresia_hub').instances[0].attributes;

  it('a lost and a restored link change link_* on refresh and plan nothing', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const ws = tenantWorkspace(t);
    try {
      ws.write(
        'main.tf',
        `${providerBlock}
resource "claresia_hub" "c" {
  mode                    = "C"
  mtls_endpoint_url       = "${endpoint.url.replace(/:\d+\//, `:${relay.port}/`)}"
  customer_ca_certificate = ${heredoc(endpoint.ca.pem)}
  timeouts = { create = "60s" }
}

output "status" {
  value = claresia_hub.c.status
}
`,
      );
      // The customer installs the certificate while apply waits for the Hub to turn ready.
      const applying = ws.tf('apply', '-auto-approve');
      const row = await until('the Hub issued its certificate', async () => (await cp.db('hubs').where({ tenant_id: t.id }).first()) as { client_certificate: string } | undefined, 60_000);
      endpoint.trust(row.client_certificate);
      const applied = await applying;
      assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);
      const ready = hubIn(ws);
      assert.equal(ready.status, 'ready');
      assert.equal(ready.link_error, null);
      assert.equal(ready.link_checked_at, ready.ready_at);
      await ws.ok(['plan', '-detailed-exitcode'], 0);

      const s = provisionerSettings();
      let now = Date.now();
      await relay.stop();
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, () => new Date(now)), 1);
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 0);
      assert.match(plan.stdout, /No changes/);
      await ws.ok(['apply', '-refresh-only', '-auto-approve']);
      const lost = hubIn(ws);
      assert.equal(lost.status, 'ready');
      assert.equal(lost.link_error, 'the endpoint could not be reached (ECONNREFUSED)');
      assert.equal(lost.link_checked_at, new Date(now).toISOString());
      assert.equal(lost.link_verified_at, ready.ready_at);
      await ws.ok(['plan', '-detailed-exitcode'], 0);

      await relay.start();
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, () => new Date(now)), 1);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['apply', '-refresh-only', '-auto-approve']);
      const back = hubIn(ws);
      assert.equal(back.link_error, null);
      assert.equal(back.link_verified_at, new Date(now).toISOString());
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
  });
});
