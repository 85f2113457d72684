import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { selfSigned } from '../support/platforms/certs.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

// The provisioner paces itself from the environment; fast here, and a short wait for a customer's trust.
const FAST_WORKER = {
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '2',
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

for (const kind of dbKinds()) {
  describe(`hub provisioning [${kind}]`, function () {
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    const saved: Record<string, string | undefined> = {};

    before(async () => {
      for (const [k, v] of Object.entries(FAST_WORKER)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
      platforms = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    const provision = (t: TenantFixture, body: Record<string, unknown>) => cp.request('POST', '/api/v1/hub/provision', { token: t.token, body });
    const untilSettled = (t: TenantFixture, id: string) =>
      waitFor(`hub ${id}`, async () => {
        const r = await cp.request('GET', `/api/v1/hubs/${id}`, { token: t.token });
        return r.body.status === 'provisioning' ? undefined : r.body;
      });
    // Events a request writes itself. A connector's automatic test and the publish its passing
    // queues (actor claresia:*) write theirs whenever those jobs run.
    const requestEvents = (tenantId: string) => cp.db('governance_events').where({ tenant_id: tenantId }).whereNot('actor', 'like', 'claresia:%');
    // Per tenant: the provisioner keeps finishing other tests' Hubs in the background.
    const counts = async (tenantId: string) => ({
      hubs: await cp.count('hubs', { tenant_id: tenantId }),
      cmek: await cp.count('cmek_keys', { tenant_id: tenantId }),
      hubKeys: await cp.count('signing_keys', { purpose: 'hub', tenant_id: tenantId }),
      events: Number(((await requestEvents(tenantId).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n),
    });

    it('Mode A provisions in one call; hub.provisioned carries the tenant and the Hub key co-signs from then on', async () => {
      const t = await cp.createTenant({ deployment_mode: 'A', region: 'us-west-2' });
      const res = await provision(t, { mode: 'A' });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.id, /^hub_[0-9a-f]{16}$/);
      assert.equal(res.body.status, 'provisioning');
      assert.equal(res.body.tenant_id, t.id);
      assert.equal(res.body.region, 'us-west-2', "defaults to the tenant's region");
      assert.equal(res.body.cmek_key_id, null);
      assert.equal(res.headers.get('location'), `/api/v1/hubs/${res.body.id}`);
      const hub = await untilSettled(t, res.body.id);
      assert.equal(hub.status, 'ready', JSON.stringify(hub));
      assert.ok(hub.hub_key_id && hub.ready_at);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.provisioned' }).first();
      assert.equal(ev.data.tenant_id, t.id);
      assert.equal(ev.subject, res.body.id);
      assert.equal(ev.hub_key_id, hub.hub_key_id, 'hub.provisioned is the first event the Hub co-signs');
      const earlier = await cp.db('governance_events').where({ tenant_id: t.id }).where('seq', '<', ev.seq);
      assert.ok(earlier.every((e: any) => e.hub_key_id === null), 'earlier events have no Hub co-signature');
      await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: 'After the Hub' } });
      const later = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.config_changed' }).first();
      assert.equal(later.hub_key_id, hub.hub_key_id);
      assert.ok(later.hub_signature);
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);

      const runbook = await cp.request('GET', '/api/v1/hub', { token: t.token });
      assert.deepEqual(runbook.body, hub, 'GET /api/v1/hub is the same Hub');
      const list = await cp.request('GET', `/api/v1/hubs?id=${hub.id}&id=hub_missing`, { token: t.token });
      assert.deepEqual(list.body, { items: [hub], next_cursor: null });
    });

    it('an idle provisioner does not poll; a Hub provisioned through the API is worked at once', async () => {
      // A control plane of its own, so no other test's Hub falls due while this one watches; its idle
      // poll is ten minutes, so a Hub ready within the wait below was worked because it was woken.
      const idle = process.env.CLARESIA_HUB_IDLE_POLL_MS;
      process.env.CLARESIA_HUB_IDLE_POLL_MS = '600000';
      // The provisioner's claim of a due Hub, and the query that ends each of its passes (the link
      // monitor's look at ready Hubs is another worker's).
      let looks = 0;
      let passes = 0;
      const watch = (db: TestControlPlane['db']) => {
        db.on('query', (q: { sql: string }) => void (/from "hubs"/i.test(q.sql) && /skip locked/i.test(q.sql) && /next_attempt_at/i.test(q.sql) && looks++));
        db.on('query-response', (_r: unknown, q: { sql: string }) => void (/GREATEST\(next_attempt_at/i.test(q.sql) && passes++));
      };
      const own = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, onDatabase: watch }).finally(() => {
        if (idle === undefined) delete process.env.CLARESIA_HUB_IDLE_POLL_MS;
        else process.env.CLARESIA_HUB_IDLE_POLL_MS = idle;
      });
      try {
        // Its pass at start-up looks once, however late a loaded machine runs it; then it sleeps.
        await waitFor('the start-up pass', async () => (passes > 0 ? true : undefined));
        const settled = looks;
        assert.ok(settled > 0, 'the start-up pass was seen looking');
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(looks, settled, `an idle provisioner looked ${looks - settled} times in 1.5 s (every 40 ms before)`);
        const t = await own.createTenant({ deployment_mode: 'A' });
        const res = await own.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'A' } });
        assert.equal(res.status, 201, res.text);
        // Not a speed check (a loaded CI machine may take seconds): unwoken, it would wait ten minutes.
        await waitFor('ready', async () => ((await own.db('hubs').where({ id: res.body.id }).first()).status === 'ready' ? true : undefined), 30_000);
      } finally {
        await own.close();
      }
    });

    it('refuses a second Hub, a mode other than the tenant deployment mode, and Mode C fields in other modes, writing nothing', async () => {
      const t = await cp.createTenant({ deployment_mode: 'A' });
      const first = await provision(t, { mode: 'A' });
      assert.equal(first.status, 201);
      await untilSettled(t, first.body.id);
      const before = await counts(t.id);
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ mode: 'A' }, 409, 'mode', 'conflict'],
        [{ mode: 'B', region: 'eu-west-1' }, 400, 'mode', 'invalid_value'],
        [{ mode: 'Z' }, 400, 'mode', 'invalid_value'],
        [{ region: 'eu-west-1' }, 400, 'mode', 'missing_field'],
        [{ mode: 'A', region: 'moon-1' }, 400, 'region', 'invalid_value'],
        [{ mode: 'A', cmek_key_id: 'cmek_x' }, 400, 'cmek_key_id', 'unknown_field'],
      ];
      for (const [body, status, field, code] of cases) {
        const res = await provision(t, body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
      }
      assert.deepEqual(await counts(t.id), before);
      const fresh = await cp.createTenant({ deployment_mode: 'A' });
      const before2 = await counts(fresh.id);
      for (const body of [{ mode: 'A', mtls_endpoint_url: 'https://hub.example' }, { mode: 'A', customer_ca_certificate: (await selfSigned('CA')).pem }]) {
        const res = await provision(fresh, body);
        assert.equal(res.status, 400);
        assert.equal(res.body.error.field, Object.keys(body)[1]);
        assert.match(res.body.error.message, /only used in Mode C/);
      }
      assert.deepEqual(await counts(fresh.id), before2);
    });

    it('two concurrent provision calls give one Hub', async () => {
      const t = await cp.createTenant({ deployment_mode: 'A' });
      const [a, b] = await Promise.all([provision(t, { mode: 'A' }), provision(t, { mode: 'A' })]);
      assert.deepEqual([a.status, b.status].sort(), [201, 409]);
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 1);
    });

    it("offboarding a tenant decommissions its Hub: the Hub key stops co-signing, a Mode B CMEK key is disabled, and the chain still verifies", async () => {
      const t = await cp.createTenant({ deployment_mode: 'B' });
      const res = await provision(t, { mode: 'B', region: 'eu-central-1' });
      assert.equal(res.status, 201, res.text);
      const hub = await untilSettled(t, res.body.id);
      assert.equal(hub.status, 'ready');

      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 204);
      assert.ok((await cp.db('hubs').where({ id: hub.id }).first()).deleted_at, 'the Hub is out of service');
      assert.ok((await cp.db('cmek_keys').where({ id: res.body.cmek_key_id }).first()).disabled_at, 'its CMEK key is disabled');
      assert.equal(await cp.count('signing_keys', { tenant_id: t.id, purpose: 'hub', retired_at: null }), 0, 'no Hub key of the tenant is active');
      const types = ((await cp.db('governance_events').where({ tenant_id: t.id }).orderBy('seq').select('type')) as Array<{ type: string }>).map((e) => e.type);
      assert.deepEqual(types.slice(-3), ['hub.deleted', 'cmek.key_disabled', 'tenant.offboarded']);
      const offboarded = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.offboarded' }).first();
      assert.equal(offboarded.data.hub_decommissioned, hub.id);
      const verify = await cp.request('GET', `/api/v1/hub/governance-events:verify?tenant_id=${t.id}`, { token: cp.operatorToken });
      assert.equal(verify.body.ok, true, verify.text);
    });

    it('Mode B needs a region, creates a CMEK key and seals the tenant credentials under it', async () => {
      const t = await cp.createTenant({ deployment_mode: 'B' });
      const cred = 'sk-ant-admin-' + 'x'.repeat(24);
      platforms.addAccount('claude', { credential: cred, scopes: ['skills'] });
      const early = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'early', credential: cred, base_url: platforms.baseUrl('claude') } });
      assert.equal(early.status, 201);

      const before = await counts(t.id);
      const noRegion = await provision(t, { mode: 'B' });
      assert.equal(noRegion.status, 400);
      assert.equal(noRegion.body.error.field, 'region');
      assert.equal(noRegion.body.error.code, 'missing_field');
      assert.deepEqual(await counts(t.id), before, 'no orphan key, no event');

      const res = await provision(t, { mode: 'B', region: 'eu-central-1' });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.cmek_key_id, /^cmek_[0-9a-f]{16}$/);
      assert.equal(res.body.region, 'eu-central-1');
      const created = await cp.db('governance_events').where({ tenant_id: t.id, type: 'cmek.key_created' }).first();
      assert.equal(created.subject, res.body.cmek_key_id);
      assert.equal(created.data.region, 'eu-central-1');
      const key = await cp.db('cmek_keys').where({ id: res.body.cmek_key_id }).first();
      assert.equal(key.tenant_id, t.id);
      assert.equal(key.region, 'eu-central-1');

      const hub = await untilSettled(t, res.body.id);
      assert.equal(hub.status, 'ready');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.provisioned' }).first();
      assert.equal(ev.data.cmek_key_id, res.body.cmek_key_id);
      assert.equal(ev.data.credentials_rewrapped, 1);
      const earlyRow = await cp.db('llm_connectors').where({ id: early.body.id }).first();
      assert.equal(earlyRow.credential_key_id, res.body.cmek_key_id, 'existing credentials moved under the CMEK key');
      await assert.rejects(
        cp.server.ctx.keys.decryptForTenant(cp.db, t.id, earlyRow.credential_enc, `llm_connector:${early.body.id}:credential`),
        'no longer readable with the tenant data key',
      );
      const late = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'late', credential: cred, base_url: platforms.baseUrl('claude') } });
      assert.equal((await cp.db('llm_connectors').where({ id: late.body.id }).first()).credential_key_id, res.body.cmek_key_id, 'new credentials are sealed under it');
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${late.body.id}:test`, { token: t.token });
      assert.equal(tested.body.status, 'connected', 'and still work');

      // Decommissioning: credentials go back under the tenant key, the CMEK key and the Hub key retire.
      const del = await cp.request('DELETE', '/api/v1/hub', { token: t.token });
      assert.equal(del.status, 204);
      assert.equal((await cp.request('GET', '/api/v1/hub', { token: t.token })).status, 404);
      assert.equal((await cp.request('GET', `/api/v1/hubs/${hub.id}`, { token: t.token })).status, 404);
      assert.ok((await cp.db('cmek_keys').where({ id: res.body.cmek_key_id }).first()).disabled_at);
      const rows = await cp.db('llm_connectors').where({ tenant_id: t.id });
      assert.ok(rows.every((r: any) => r.credential_key_id === null));
      const again = await cp.request('POST', `/api/v1/llm/connectors/${early.body.id}:test`, { token: t.token });
      assert.equal(again.body.status, 'connected');
      const after = await requestEvents(t.id).orderBy('seq', 'desc').first();
      assert.equal(after.type, 'connector.tested');
      assert.equal(after.hub_key_id, null, 'a decommissioned Hub co-signs nothing');
      const deleted = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.deleted' }).first();
      assert.equal(deleted.hub_key_id, hub.hub_key_id, "the Hub co-signs its own decommissioning");
      assert.equal((await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token })).body.ok, true);
      const reprovision = await provision(t, { mode: 'B', region: 'eu-central-1' });
      assert.equal(reprovision.status, 201, 'a new Hub can be provisioned after the old one is gone');
      assert.notEqual(reprovision.body.cmek_key_id, res.body.cmek_key_id);
    });

    describe('Mode C', () => {
      let endpoint: MtlsEndpoint;
      before(async () => {
        endpoint = await startMtlsEndpoint();
      });
      after(async () => endpoint?.close());

      it('issues a client certificate, proves the mTLS link once the endpoint trusts it, and outputs what BYOC needs', async () => {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        const res = await provision(t, { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: `\n${endpoint.ca.pem}\n\n` });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.status, 'provisioning');
        assert.equal(res.body.customer_ca_certificate, endpoint.ca.pem.trim(), 'stored trimmed, as the catalog normalises it');
        const client = new X509Certificate(res.body.control_plane_client_certificate);
        assert.equal(res.body.control_plane_client_certificate_sha256, client.fingerprint256);
        assert.equal(res.body.customer_ca_certificate_sha256, new X509Certificate(endpoint.ca.pem).fingerprint256);
        assert.equal(client.ca, false);
        assert.match(client.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.2/, 'clientAuth');
        assert.equal(res.body.endpoint, endpoint.url);
        assert.ok(!res.text.includes('PRIVATE KEY'));
        const row = await cp.db('hubs').where({ id: res.body.id }).first();
        assert.ok(!row.client_key_enc.includes('PRIVATE KEY'), 'the client key is stored sealed');

        // The customer installs the certificate; the provisioner's next attempt gets through.
        await waitFor('a refused attempt', async () => (endpoint.refused > 0 ? true : undefined));
        assert.equal((await cp.request('GET', '/api/v1/hub', { token: t.token })).body.status, 'provisioning');
        endpoint.trust(res.body.control_plane_client_certificate);
        const hub = await untilSettled(t, res.body.id);
        assert.equal(hub.status, 'ready', JSON.stringify(hub));
        const seen = endpoint.requests.find((r) => r.clientFingerprint === client.fingerprint256);
        assert.ok(seen, 'the endpoint accepted a request made with the issued client certificate');
        assert.equal(seen.path, '/claresia');
        const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.provisioned' }).first();
        assert.equal(ev.data.tenant_id, t.id);
        assert.equal(ev.data.control_plane_client_certificate_sha256, client.fingerprint256);
        assert.equal(ev.hub_key_id, hub.hub_key_id);
      });

      it('fails with the reason when the endpoint never trusts the certificate, and a retry succeeds once it does', async () => {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        const other = await startMtlsEndpoint();
        try {
          const res = await provision(t, { mode: 'C', mtls_endpoint_url: other.url, customer_ca_certificate: other.ca.pem });
          const hub = await untilSettled(t, res.body.id);
          assert.equal(hub.status, 'failed');
          assert.match(hub.status_reason, /refused the control plane's client certificate/);
          const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'hub.provisioning_failed' }).first();
          assert.equal(ev.subject, res.body.id);
          assert.equal(await cp.count('signing_keys', { purpose: 'hub', tenant_id: t.id }), 0, 'no Hub key for a failed Hub');
          const notFailed = await cp.request('POST', `/api/v1/hubs/${res.body.id}:retry`, { token: (await cp.createTenant()).token });
          assert.equal(notFailed.status, 404, "another tenant cannot touch it");
          other.trust(res.body.control_plane_client_certificate);
          const retry = await cp.request('POST', `/api/v1/hubs/${res.body.id}:retry`, { token: t.token });
          assert.equal(retry.status, 200, retry.text);
          assert.equal(retry.body.status, 'provisioning');
          assert.equal((await untilSettled(t, res.body.id)).status, 'ready');
          const again = await cp.request('POST', `/api/v1/hubs/${res.body.id}:retry`, { token: t.token });
          assert.equal(again.status, 409);
        } finally {
          await other.close();
        }
      });

      it("fails when the endpoint's server certificate is not under the customer CA", async () => {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        const wrongCa = await selfSigned('Some other CA');
        const res = await provision(t, { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: wrongCa.pem });
        assert.equal(res.status, 201);
        endpoint.trust(res.body.control_plane_client_certificate);
        const hub = await untilSettled(t, res.body.id);
        assert.equal(hub.status, 'failed');
        assert.match(hub.status_reason, /server certificate is not trusted under customer_ca_certificate/);
      });

      it('reads back a CA bundle exactly as sent (trimmed), so a re-plan is empty', async () => {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        const second = await selfSigned('Acme Root');
        const sent = `\n# Acme issuing CA\r\n${endpoint.ca.pem.replace(/\n/g, '\r\n')}\r\n# Acme root\r\n${second.pem}\n\n`;
        const res = await provision(t, { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: sent });
        assert.equal(res.status, 201, res.text);
        const read = await cp.request('GET', `/api/v1/hubs/${res.body.id}`, { token: t.token });
        assert.equal(read.body.customer_ca_certificate, sent.trim());
        assert.equal(read.body.customer_ca_certificate_sha256, [new X509Certificate(endpoint.ca.pem).fingerprint256, new X509Certificate(second.pem).fingerprint256].join(','));
        assert.equal((await cp.request('DELETE', '/api/v1/hub', { token: t.token })).status, 204);
      });

      it('rejects a non-https endpoint, a missing, malformed, expired or non-CA certificate, naming the field and writing nothing', async () => {
        const t = await cp.createTenant({ deployment_mode: 'C' });
        const ca = endpoint.ca.pem;
        const expired = await selfSigned('Expired CA', { notBefore: new Date(Date.now() - 90 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
        const future = await selfSigned('Future CA', { notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 90 * 86_400_000) });
        const leaf = await selfSigned('just a leaf', { ca: false });
        const garbled = '-----BEGIN CERTIFICATE-----\nMIIBnotreallyacertificate\n-----END CERTIFICATE-----';
        const cases: Array<[Record<string, unknown>, string, string, RegExp?]> = [
          [{ mode: 'C', mtls_endpoint_url: 'http://127.0.0.1:9/x', customer_ca_certificate: ca }, 'mtls_endpoint_url', 'invalid_value'],
          [{ mode: 'C', mtls_endpoint_url: 'not a url', customer_ca_certificate: ca }, 'mtls_endpoint_url', 'invalid_value'],
          [{ mode: 'C', customer_ca_certificate: ca }, 'mtls_endpoint_url', 'missing_field'],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url }, 'customer_ca_certificate', 'missing_field'],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: 'hello' }, 'customer_ca_certificate', 'invalid_value'],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: garbled }, 'customer_ca_certificate', 'invalid_certificate', /not a valid X\.509/],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: expired.pem }, 'customer_ca_certificate', 'invalid_certificate', /expired/],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: future.pem }, 'customer_ca_certificate', 'invalid_certificate', /not valid before/],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: leaf.pem }, 'customer_ca_certificate', 'invalid_certificate', /not a CA/],
          [{ mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: `${ca}\n${leaf.pem}` }, 'customer_ca_certificate', 'invalid_certificate', /certificate 2 is not a CA/],
        ];
        const before = await counts(t.id);
        for (const [body, field, code, message] of cases) {
          const res = await provision(t, body);
          assert.equal(res.status, 400, `${field}: ${res.text}`);
          assert.equal(res.body.error.field, field, res.text);
          assert.equal(res.body.error.code, code, res.text);
          if (message) assert.match(res.body.error.message, message);
        }
        assert.deepEqual(await counts(t.id), before, 'no Hub, no key, no event');
      });

      it('refuses a private endpoint when configuration does not allow private addresses', async () => {
        const strict = await startControlPlane({ db: 'pglite' });
        try {
          const t = await strict.createTenant({ deployment_mode: 'C' });
          const res = await strict.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: endpoint.ca.pem } });
          assert.equal(res.status, 400);
          assert.equal(res.body.error.field, 'mtls_endpoint_url');
          assert.equal(await strict.count('hubs'), 0);
        } finally {
          await strict.close();
        }
      });
    });

    it('deleting a Hub that is still provisioning stops the provisioner from finishing it', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const ep = await startMtlsEndpoint();
      try {
        const res = await provision(t, { mode: 'C', mtls_endpoint_url: ep.url, customer_ca_certificate: ep.ca.pem });
        const del = await cp.request('DELETE', `/api/v1/hubs/${res.body.id}`, { token: t.token });
        assert.equal(del.status, 204);
        ep.trust(res.body.control_plane_client_certificate);
        await new Promise((r) => setTimeout(r, 400));
        const row = await cp.db('hubs').where({ id: res.body.id }).first();
        assert.equal(row.status, 'provisioning');
        assert.ok(row.deleted_at);
        assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'hub.provisioned' }), 0);
      } finally {
        await ep.close();
      }
    });

    it('documents the Hub paths with its async status', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      assert.ok(doc.paths['/api/v1/hub/provision'].post);
      assert.ok(doc.paths['/api/v1/hubs/{id}'].get && doc.paths['/api/v1/hubs/{id}'].delete);
      assert.ok(doc.paths['/api/v1/hub'].get && doc.paths['/api/v1/hub'].delete);
      assert.ok(doc.paths['/api/v1/hub/governance-events'].get, 'no collision with the audit paths');
    });
  });
}
