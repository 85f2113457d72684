/**
 * claresia_hub with wait_for_ready left at true and a Mode C endpoint that cannot be reached
 * (review r9 F2), with the real terraform binary and a real control plane: the apply ends at
 * the control plane's reason (a refused connection, a host that does not resolve) with a
 * warning at mtls_endpoint_url, instead of "Still creating..." until timeouts.create; the Hub
 * stays in state, provisioning and untainted, and turns ready by itself once the endpoint is
 * up, which a refresh records. That the wait still goes on while the endpoint merely does not
 * trust the client certificate yet is hub-mode-c.e2e.test.ts ("a wait that times out").
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { until, withEnv } from '../support/until.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const PACE = {
  CLARESIA_HUB_POLL_MS: '100',
  CLARESIA_HUB_RETRY_MS: '200',
  CLARESIA_HUB_MAX_RETRY_MS: '1000',
  CLARESIA_HUB_EARLY_MAX_RETRY_MS: '1000',
  // Long enough that the Hub is still trying when the endpoint comes up.
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '3600',
};

const heredoc = (pem: string) => `<<-PEM\n${pem.trim()}\n  PEM`;
const oneLine = (s: string) => s.replace(/\s+/g, ' ');

// Far beyond how long the control plane takes to find the endpoint out of reach; a wait that
// ran into it would fail the apply and taint the Hub.
const hubConfig = (url: string, ca: string) => `${providerBlock}
resource "claresia_hub" "c" {
  mode                    = "C"
  mtls_endpoint_url       = "${url}"
  customer_ca_certificate = ${heredoc(ca)}
  timeouts                = { create = "5m", update = "5m" }
}
`;

/** A loopback port nothing listens on yet. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The customer's endpoint coming up at `port`: every connection is passed on to `target`. */
async function forward(port: number, target: MtlsEndpoint): Promise<{ close(): Promise<void> }> {
  const to = Number(new URL(target.url).port);
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(to, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

for (const kind of dbKinds()) {
  describe(`claresia_hub wait on an endpoint out of reach, with terraform [${kind}]`, function () {
    this.timeout(240_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let restore: () => void;
    let tenant: TenantFixture;
    let ws: Workspace;
    const instance = () => ws.state().resources.find((r: any) => r.type === 'claresia_hub').instances[0];

    before(async () => {
      await buildProvider();
      restore = withEnv(PACE);
      endpoint = await startMtlsEndpoint();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      tenant = await cp.createTenant({ deployment_mode: 'C' });
      ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret } });
    });
    after(async () => {
      ws?.close();
      await cp?.close();
      await endpoint?.close();
      restore?.();
    });

    it('a refused connection ends create with a warning at mtls_endpoint_url; the Hub turns ready by itself once the endpoint is up', async () => {
      const port = await freePort();
      const url = `https://127.0.0.1:${port}/claresia`;
      ws.write('main.tf', hubConfig(url, endpoint.ca.pem));
      const r = await ws.tf('apply', '-auto-approve');
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = r.stdout + r.stderr;
      const inst = instance();
      const id = inst.attributes.id;
      assert.match(oneLine(out), new RegExp(`Warning: claresia_hub ${id} is still provisioning`));
      assert.match(oneLine(out), new RegExp(`waiting: the endpoint could not be reached \\(ECONNREFUSED\\)\\. The control plane goes on by itself; GET /api/v1/hubs/${id} shows the outcome`));
      assert.match(out, /on main\.tf line \d+, in resource "claresia_hub" "c":\n.*mtls_endpoint_url\s+= /, 'the warning is at mtls_endpoint_url');
      assert.doesNotMatch(out, /timed out/);
      assert.equal(inst.status, undefined, 'not tainted');
      assert.equal(inst.attributes.status, 'provisioning');
      assert.equal(inst.attributes.status_reason, 'waiting: the endpoint could not be reached (ECONNREFUSED)');

      // The endpoint comes up at that address, trusting the Hub's certificate: no apply needed.
      endpoint.trust(inst.attributes.control_plane_client_certificate);
      const up = await forward(port, endpoint);
      try {
        await until('the Hub ready once its endpoint is up', async () => {
          const h = await cp.request('GET', `/api/v1/hubs/${id}`, { token: tenant.token });
          return h.body.status === 'ready' ? h.body : undefined;
        });
        await ws.ok(['apply', '-refresh-only', '-auto-approve']);
        assert.equal(instance().attributes.status, 'ready', 'a refresh records it');
        assert.equal(instance().attributes.status_reason, null);
        await ws.ok(['plan', '-detailed-exitcode'], 0);
      } finally {
        await up.close();
      }
    });

    it('a host that does not resolve ends an update the same way, the new address in state', async () => {
      const id = instance().attributes.id;
      const typo = 'https://hub.acme-typo.invalid:8443/claresia';
      ws.write('main.tf', hubConfig(typo, endpoint.ca.pem));
      const r = await ws.tf('apply', '-auto-approve');
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = r.stdout + r.stderr;
      assert.match(oneLine(out), new RegExp(`Warning: claresia_hub ${id} is still provisioning`));
      assert.match(oneLine(out), /waiting: mtls_endpoint_url does not resolve\. The control plane goes on by itself/);
      assert.match(out, /on main\.tf line \d+, in resource "claresia_hub" "c":\n.*mtls_endpoint_url\s+= "https:\/\/hub\.acme-typo\.invalid/);
      const inst = instance();
      assert.equal(inst.status, undefined, 'not tainted');
      assert.equal(inst.attributes.id, id, 'the same Hub');
      assert.equal(inst.attributes.mtls_endpoint_url, typo);
      assert.equal(inst.attributes.status, 'provisioning');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['destroy', '-auto-approve']);
    });
  });
}
