import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { TenantFixture, TestControlPlane } from './control-plane.js';
import { http } from './http.js';
import type { MtlsEndpoint } from './platforms/mtls-server.js';
import type { TcpRelay } from './platforms/tcp-relay.js';
import { until } from './until.js';

/** The Hub provisioner's pace for tests: a Mode C Hub is ready a moment after its endpoint trusts it. */
export const FAST_PROVISIONER = { CLARESIA_HUB_POLL_MS: '40', CLARESIA_HUB_RETRY_MS: '60', CLARESIA_HUB_MAX_RETRY_MS: '200', CLARESIA_HUB_EARLY_MAX_RETRY_MS: '200' };

/** The endpoint's address, behind a relay that can take it off the network and bring it back. */
export const behind = (endpoint: MtlsEndpoint, relay: TcpRelay) => endpoint.url.replace(/:\d+\//, `:${relay.port}/`);

/** A pino logger whose lines the test reads back. */
export function captureLogs() {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** What the Hub link tests read: the tenant's Hub (from any replica), its health line, its governance events. */
export function hubReads(cp: () => TestControlPlane) {
  return {
    async hubOf(t: TenantFixture, url = cp().url) {
      const r = await http(url, 'GET', '/api/v1/hub', { token: t.token });
      assert.equal(r.status, 200, r.text);
      return r.body;
    },
    async healthOf(t: TenantFixture) {
      const r = await cp().request('GET', '/api/v1/observability/tenant-health', { token: t.token });
      assert.equal(r.status, 200, r.text);
      return r.body.checks.find((c: any) => c.name === 'hub') as { status: string; reason: string; action: string | null };
    },
    events: (t: TenantFixture, type: string) => cp().db('governance_events').where({ tenant_id: t.id, type }).orderBy('seq'),
  };
}

/** A new Mode C tenant whose Hub, at `url`, the endpoint trusts: ready once the provisioner has proven the link. */
export async function readyModeCHub(cp: TestControlPlane, endpoint: MtlsEndpoint, url = endpoint.url) {
  const t = await cp.createTenant({ deployment_mode: 'C' });
  const res = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: url, customer_ca_certificate: endpoint.ca.pem } });
  assert.equal(res.status, 201, res.text);
  endpoint.trust(res.body.control_plane_client_certificate);
  const hub = await until('the Hub out of provisioning', async () => {
    const r = await cp.request('GET', '/api/v1/hub', { token: t.token });
    return r.body.status === 'provisioning' ? undefined : r.body;
  });
  assert.equal(hub.status, 'ready', JSON.stringify(hub));
  return { t, hub };
}
