/**
 * A Mode C Hub's link settings change in place (review r1 #2): a CA rotation or an endpoint move
 * keeps the Hub, its key and the client certificate the customer pinned, and the link is proven
 * again with that same certificate. And a client waiting on a provisioning Hub brings its next
 * link check forward (review r1 #6), at most once per pollProbeMinMs.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { selfSigned } from '../support/platforms/certs.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { retryDelayMs } from '../../control-plane/src/hub/provisioner.js';

const FAST_WORKER = {
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
  CLARESIA_HUB_EARLY_MAX_RETRY_MS: '200',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '3',
};

describe('hub link check pacing', () => {
  it('caps the backoff at 30 s by default while the wait is young, and at the long cap after the early window', () => {
    const s = provisionerSettings({});
    assert.equal(s.earlyMaxRetryMs, 30_000);
    assert.equal(s.maxRetryMs, 300_000);
    const start = new Date('2026-01-01T00:00:00Z');
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 10].map((n) => retryDelayMs(s, n, start, at(600))), [5000, 10_000, 20_000, 30_000, 30_000, 30_000, 30_000]);
    assert.equal(retryDelayMs(s, 10, start, at(3600)), 300_000, 'after an hour the wait backs off further');
    assert.equal(retryDelayMs(s, 3, start, at(3600)), 20_000);
  });
});

for (const kind of dbKinds()) {
  describe(`hub link settings changed in place [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let restore: () => void;

    before(async () => {
      restore = withEnv(FAST_WORKER);
      endpoint = await startMtlsEndpoint();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await endpoint?.close();
      restore?.();
    });

    const get = (t: TenantFixture, id: string) => cp.request('GET', `/api/v1/hubs/${id}`, { token: t.token });
    const patch = (t: TenantFixture, id: string, body: Record<string, unknown>) => cp.request('PATCH', `/api/v1/hubs/${id}`, { token: t.token, body });
    const settled = (t: TenantFixture, id: string) =>
      until(`hub ${id} settled`, async () => {
        const r = await get(t, id);
        return r.body.status === 'provisioning' ? undefined : r.body;
      });

    /** A ready Mode C Hub on `on`, which trusts its client certificate. */
    async function readyHub(on: MtlsEndpoint) {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const res = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: on.url, customer_ca_certificate: on.ca.pem } });
      assert.equal(res.status, 201, res.text);
      on.trust(res.body.control_plane_client_certificate);
      const hub = await settled(t, res.body.id);
      assert.equal(hub.status, 'ready', JSON.stringify(hub));
      return { t, hub };
    }

    it('rotates the CA in place: same Hub, key and client certificate; the link is proven again and audited', async () => {
      const { t, hub } = await readyHub(endpoint);
      const newCa = await selfSigned('Acme Hub CA 2027');
      const bundle = `${endpoint.ca.pem.trim()}\n${newCa.pem.trim()}`;
      const seenBefore = endpoint.requests.length;
      const res = await patch(t, hub.id, { customer_ca_certificate: bundle });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, hub.id);
      assert.equal(res.body.status, 'provisioning', 'not called ready before the new settings are proven');
      assert.match(res.body.status_reason, /change of customer_ca_certificate/);
      assert.equal(res.body.customer_ca_certificate, bundle);
      assert.equal(res.body.customer_ca_certificate_sha256, [endpoint.ca.pem, newCa.pem].map((p) => new X509Certificate(p).fingerprint256).join(','));
      const after = await settled(t, hub.id);
      assert.equal(after.status, 'ready', JSON.stringify(after));
      for (const k of ['id', 'hub_key_id', 'control_plane_client_certificate', 'control_plane_client_certificate_sha256', 'control_plane_client_certificate_not_after', 'created_at']) {
        assert.equal(after[k], hub[k], `${k} is kept`);
      }
      assert.ok(after.ready_at >= hub.ready_at);
      const proof = endpoint.requests.slice(seenBefore).find((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256);
      assert.ok(proof, 'the link was proven again with the existing client certificate');
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 1, 'no second Hub');
      const keys = await cp.db('signing_keys').where({ purpose: 'hub', tenant_id: t.id });
      assert.equal(keys.length, 1);
      assert.equal(keys[0].retired_at, null, 'the Hub key still co-signs');
      const changed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.config_changed' }).first();
      assert.equal(changed.subject, hub.id);
      assert.deepEqual(changed.data.changes.customer_ca_certificate_sha256.to, [endpoint.ca.pem, newCa.pem].map((p) => new X509Certificate(p).fingerprint256));
      assert.equal(changed.data.previous_status, 'ready');
      assert.ok(!JSON.stringify(changed.data).includes('BEGIN'), 'fingerprints, not certificates, in the audit trail');
      const verified = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.link_verified' }).first();
      assert.equal(verified.data.hub_key_id, hub.hub_key_id);
      assert.equal(verified.hub_key_id, hub.hub_key_id, 'co-signed by the same Hub key');
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'hub.provisioned' }), 1);
    });

    it('moves to a new endpoint in place; a CA the new endpoint is not under fails with the reason and another PATCH fixes it', async () => {
      const { t, hub } = await readyHub(endpoint);
      const moved = await startMtlsEndpoint();
      try {
        moved.trust(hub.control_plane_client_certificate);
        // The old CA does not issue the new endpoint's server certificate.
        const wrong = await patch(t, hub.id, { mtls_endpoint_url: moved.url });
        assert.equal(wrong.status, 200, wrong.text);
        const failed = await settled(t, hub.id);
        assert.equal(failed.status, 'failed');
        assert.match(failed.status_reason, /server certificate is not trusted under customer_ca_certificate/);
        assert.equal(failed.hub_key_id, hub.hub_key_id);
        const fixed = await patch(t, hub.id, { customer_ca_certificate: moved.ca.pem });
        assert.equal(fixed.status, 200, fixed.text);
        assert.equal(fixed.body.status, 'provisioning');
        const ready = await settled(t, hub.id);
        assert.equal(ready.status, 'ready', JSON.stringify(ready));
        assert.equal(ready.endpoint, moved.url);
        assert.equal(ready.control_plane_client_certificate_sha256, hub.control_plane_client_certificate_sha256);
        assert.ok(moved.requests.some((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256));
      } finally {
        await moved.close();
      }
    });

    it('refuses what cannot change, naming the field, and changes nothing', async () => {
      const { t, hub } = await readyHub(endpoint);
      const row = await cp.db('hubs').where({ id: hub.id }).first();
      const events = await cp.count('governance_events', { tenant_id: t.id });
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ customer_ca_certificate: null }, 'customer_ca_certificate', /required in Mode C/],
        [{ mtls_endpoint_url: null }, 'mtls_endpoint_url', /required in Mode C/],
        [{ customer_ca_certificate: (await selfSigned('leaf', { ca: false })).pem }, 'customer_ca_certificate', /not a CA certificate/],
        [{ customer_ca_certificate: (await selfSigned('old', { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') })).pem }, 'customer_ca_certificate', /expired/],
        [{ mtls_endpoint_url: 'http://127.0.0.1:1/x' }, 'mtls_endpoint_url', /https/],
        [{ mode: 'A' }, 'mode', /./],
      ];
      for (const [body, field, message] of cases) {
        const r = await patch(t, hub.id, body);
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
        assert.equal(r.body.error.field, field, r.text);
        assert.match(r.body.error.message, message);
      }
      assert.deepEqual(await cp.db('hubs').where({ id: hub.id }).first(), row);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), events);
      const same = await patch(t, hub.id, { customer_ca_certificate: `\n${endpoint.ca.pem}\n` });
      assert.equal(same.status, 200);
      assert.equal(same.body.status, 'ready', 'the same CA (as stored) is no change');
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), events);
      const other = await cp.createTenant({ deployment_mode: 'C' });
      assert.equal((await patch(other, hub.id, { customer_ca_certificate: endpoint.ca.pem })).status, 404, "another tenant's Hub does not exist for it");

      const a = await cp.createTenant({ deployment_mode: 'A' });
      const hubA = await cp.request('POST', '/api/v1/hub/provision', { token: a.token, body: { mode: 'A' } });
      const r = await patch(a, hubA.body.id, { mtls_endpoint_url: endpoint.url });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'mtls_endpoint_url');
      assert.match(r.body.error.message, /only used in Mode C/);
    });

    it('a read of a provisioning Hub brings its next link check forward, at most once per pollProbeMinMs', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const res = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: endpoint.ca.pem } });
      // As if deep in a long backoff: the next check an hour away, and one began just now. Written
      // only between two checks (no lease held), so no check in flight overwrites it.
      const later = new Date(Date.now() + 3_600_000);
      await until('a moment between two checks', async () =>
        (await cp.db('hubs').where({ id: res.body.id }).whereNull('lease_until').whereNotNull('last_probe_at').update({ next_attempt_at: later, last_probe_at: new Date() })) === 1,
      );
      assert.equal((await get(t, res.body.id)).body.status, 'provisioning');
      assert.equal(new Date((await cp.db('hubs').where({ id: res.body.id }).first()).next_attempt_at).getTime(), later.getTime());
      // The last check was long ago: the read asks for one now, and the certificate installed meanwhile is seen.
      endpoint.trust(res.body.control_plane_client_certificate);
      await cp.db('hubs').where({ id: res.body.id }).update({ last_probe_at: new Date(Date.now() - 60_000) });
      assert.equal((await cp.request('GET', '/api/v1/hub', { token: t.token })).body.status, 'provisioning');
      const hub = await until('ready after the read', async () => {
        const row = await cp.db('hubs').where({ id: res.body.id }).first();
        return row.status === 'ready' ? row : undefined;
      });
      assert.ok(new Date(hub.ready_at) < later);
    });
  });
}
