/**
 * A ready Mode C Hub's link is checked again periodically (hub/link-monitor.ts): a customer's
 * endpoint that goes away turns the hub health line red with the provisioning probe's reason,
 * and green again once it is back, while the Hub's status stays ready. The checks here are
 * driven by an injected clock (one pass, a whole interval later), never by waiting an interval.
 */
import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { behind, captureLogs, FAST_PROVISIONER, hubReads, readyModeCHub } from '../support/hub-link.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';
import { selfSigned } from '../support/platforms/certs.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';

describe('hub link check setting', () => {
  it('defaults to every 5 minutes and refuses what is not a whole number of seconds up to a day, naming the variable', () => {
    assert.equal(provisionerSettings({}).linkCheckMs, 300_000);
    assert.equal(provisionerSettings({ CLARESIA_HUB_LINK_CHECK_SECONDS: '900' }).linkCheckMs, 900_000);
    for (const bad of ['0', '1.5', '-5', '5m', '86401', '1e3']) {
      assert.throws(() => provisionerSettings({ CLARESIA_HUB_LINK_CHECK_SECONDS: bad }), /CLARESIA_HUB_LINK_CHECK_SECONDS must be a whole number from 1 to 86400/, bad);
    }
  });
});

for (const kind of dbKinds()) {
  describe(`hub link re-check [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let restore: () => void;
    const logs = captureLogs();

    // A test that fails with the relay stopped must not leave the next one without an endpoint.
    afterEach(async () => {
      relay.release();
      if (!relay.listening) await relay.start();
    });

    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      endpoint = await startMtlsEndpoint({ delayMs: 200 });
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger });
    });
    after(async () => {
      await cp?.close();
      await relay?.stop();
      await endpoint?.close();
      restore?.();
    });

    const { hubOf, healthOf, events } = hubReads(() => cp);
    /** A ready Mode C Hub reached through the relay. */
    const readyHub = () => readyModeCHub(cp, endpoint, behind(endpoint, relay));

    it('a ready Hub whose endpoint goes away reads red with the reason and green once it is back; status stays ready; each change audited once', async () => {
      const { t, hub } = await readyHub();
      assert.equal(hub.link_checked_at, hub.ready_at, 'the check that made it ready is its first link check');
      assert.equal(hub.link_verified_at, hub.ready_at);
      assert.equal(hub.link_error, null);
      assert.deepEqual(await healthOf(t), { name: 'hub', status: 'green', reason: 'Mode C Hub ready; its mTLS link passed the latest check', action: null });

      const s = provisionerSettings();
      let now = Date.now();
      const clock = () => new Date(now);
      const calls = () => endpoint.requests.filter((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256).length;
      const before = calls();
      assert.equal(await recheckHubLinks(cp.server.ctx, s, clock), 0, 'not due within the interval');
      assert.equal(calls(), before);

      await relay.stop();
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, clock), 1);
      const lost = await hubOf(t);
      assert.equal(lost.status, 'ready', 'a lost link does not flip status (Terraform plans on it)');
      assert.equal(lost.status_reason, null);
      assert.equal(lost.link_error, 'the endpoint could not be reached (ECONNREFUSED)', 'in the provisioning probe\'s words');
      assert.equal(lost.link_checked_at, new Date(now).toISOString());
      assert.equal(lost.link_verified_at, hub.ready_at);
      const red = await healthOf(t);
      assert.equal(red.status, 'red');
      assert.equal(red.reason, `the Mode C Hub is ready but its mTLS link failed the latest periodic check: the endpoint could not be reached (ECONNREFUSED); the link last passed a check at ${hub.ready_at}`);
      assert.match(red.action!, /mtls_endpoint_url .*customer_ca_certificate .*control_plane_client_certificate/);
      const overall = await cp.request('GET', '/api/v1/observability/tenant-health', { token: t.token });
      assert.equal(overall.body.overall, 'red');

      // Still down an interval later: checked again, no second event.
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, clock), 1);
      assert.equal((await hubOf(t)).link_checked_at, new Date(now).toISOString());
      const lostEvents = await events(t, 'hub.link_lost');
      assert.equal(lostEvents.length, 1, 'the loss is audited once, not per check');
      assert.equal(lostEvents[0].subject, hub.id);
      assert.equal(lostEvents[0].data.reason, 'the endpoint could not be reached (ECONNREFUSED)');
      assert.equal(lostEvents[0].data.last_verified_at, hub.ready_at);
      assert.equal(lostEvents[0].hub_key_id, hub.hub_key_id, 'co-signed by the Hub key');
      const warned = logs.lines.filter((l) => l.hub_id === hub.id && /hub link lost/.test(l.msg));
      assert.equal(warned.length, 1);
      assert.equal(warned[0].level, 40);
      assert.equal(warned[0].reason, 'the endpoint could not be reached (ECONNREFUSED)');

      await relay.start();
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, clock), 1);
      const back = await hubOf(t);
      assert.equal(back.status, 'ready');
      assert.equal(back.link_error, null);
      assert.equal(back.link_verified_at, new Date(now).toISOString());
      assert.equal(back.link_checked_at, back.link_verified_at);
      assert.equal(back.ready_at, hub.ready_at, 'the Hub did not go through provisioning');
      assert.equal((await healthOf(t)).status, 'green');
      const restored = await events(t, 'hub.link_restored');
      assert.equal(restored.length, 1);
      assert.equal(restored[0].data.previous_error, 'the endpoint could not be reached (ECONNREFUSED)');
      assert.ok(logs.lines.some((l) => l.hub_id === hub.id && l.level === 30 && /hub link restored/.test(l.msg)));
      // Passing again is no event either.
      now += s.linkCheckMs;
      assert.equal(await recheckHubLinks(cp.server.ctx, s, clock), 1);
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
      assert.equal((await events(t, 'hub.link_lost')).length, 1);
      assert.ok(!logs.lines.some((l) => JSON.stringify(l).includes('PRIVATE KEY')), 'no key material in the logs');

      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);
    });

    it('checks a Hub once per interval however many replicas look at the same time', async () => {
      const { hub } = await readyHub();
      const secondDb: Db | undefined = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const second: RunningServer = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
      try {
        const s = provisionerSettings();
        const at = new Date(Date.now() + s.linkCheckMs);
        const calls = () => endpoint.requests.filter((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256).length;
        const before = calls();
        // The first replica's check is held in flight while the second one looks.
        relay.hold();
        const first = recheckHubLinks(cp.server.ctx, s, () => at);
        await until('the first check connecting', async () => relay.held === 1);
        const other = await recheckHubLinks(second.ctx, s, () => at);
        relay.release();
        assert.equal(await first, 1);
        assert.equal(other, 0, 'the other replica left the Hub to the one checking it');
        assert.equal(calls() - before, 1, `probed ${calls() - before} times`);
        assert.equal(await recheckHubLinks(second.ctx, s, () => at), 0, 'checked already this interval');
        assert.equal(calls() - before, 1);
      } finally {
        await second.close();
        await secondDb?.destroy();
      }
    });

    it('a check in flight when the link settings change records nothing about the old ones', async () => {
      const { t, hub } = await readyHub();
      const s = provisionerSettings();
      const at = new Date(Date.now() + s.linkCheckMs);
      // The new address refuses connections, so the Hub stays provisioning while this looks at it.
      const gone = await startTcpRelay(Number(new URL(endpoint.url).port));
      await gone.stop();
      relay.hold();
      const pass = recheckHubLinks(cp.server.ctx, s, () => at);
      await until('the check connecting', async () => relay.held > 0);
      const patched = await cp.request('PATCH', `/api/v1/hubs/${hub.id}`, { token: t.token, body: { mtls_endpoint_url: behind(endpoint, gone) } });
      assert.equal(patched.status, 200, patched.text);
      relay.release();
      assert.equal(await pass, 1);
      const moved = await hubOf(t);
      assert.equal(moved.status, 'provisioning');
      assert.equal(moved.link_checked_at, hub.ready_at, "the old address's check (which passed) is not recorded");
      assert.equal(moved.link_verified_at, hub.ready_at);
      assert.equal(moved.link_error, null);
      assert.equal((await events(t, 'hub.link_restored')).length + (await events(t, 'hub.link_lost')).length, 0);
      // Back where it was, so the provisioner stops knocking on the closed port.
      assert.equal((await cp.request('PATCH', `/api/v1/hubs/${hub.id}`, { token: t.token, body: { mtls_endpoint_url: behind(endpoint, relay) } })).status, 200);
      await until('ready again', async () => (await hubOf(t)).status === 'ready');
    });
  });

  describe(`hub link lost, then fixed by new link settings [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let restore: () => void;
    const logs = captureLogs();
    const REFUSED = 'the endpoint could not be reached (ECONNREFUSED)';

    afterEach(async () => {
      if (!relay.listening) await relay.start();
    });
    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      endpoint = await startMtlsEndpoint();
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger });
    });
    after(async () => {
      await cp?.close();
      await relay?.stop();
      await endpoint?.close();
      restore?.();
    });

    const { hubOf, healthOf, events } = hubReads(() => cp);
    const patch = (t: TenantFixture, id: string, body: Record<string, unknown>) => cp.request('PATCH', `/api/v1/hubs/${id}`, { token: t.token, body });
    const settled = async (t: TenantFixture) => {
      const h = await until('the Hub out of provisioning', async () => {
        const x = await hubOf(t);
        return x.status === 'provisioning' ? undefined : x;
      });
      assert.equal(h.status, 'ready', JSON.stringify(h));
      return h;
    };

    /** A ready Mode C Hub behind the relay whose link a periodic check (an interval on) found lost. */
    async function lostHub() {
      const { t, hub } = await readyModeCHub(cp, endpoint, behind(endpoint, relay));
      await relay.stop();
      const at = new Date(Date.now() + provisionerSettings().linkCheckMs);
      await recheckHubLinks(cp.server.ctx, provisionerSettings(), () => at);
      const lost = await hubOf(t);
      assert.equal(lost.link_error, REFUSED);
      assert.equal(lost.link_checked_at, at.toISOString());
      assert.equal((await events(t, 'hub.link_lost')).length, 1);
      return { t, hub };
    }

    it('a new endpoint address ends the loss with one hub.link_restored once proven, not at a failed try, and not again at the next check', async () => {
      const { t, hub } = await lostHub();
      // A first fix that does not work: the loss goes on.
      const gone = await startTcpRelay(Number(new URL(endpoint.url).port));
      await gone.stop();
      assert.equal((await patch(t, hub.id, { mtls_endpoint_url: behind(endpoint, gone) })).status, 200);
      const trying = await until('a failed check of the new address', async () => {
        const h = await hubOf(t);
        return /^waiting: the endpoint could not be reached/.test(h.status_reason ?? '') ? h : undefined;
      });
      assert.equal(trying.status, 'provisioning');
      assert.equal(trying.link_error, REFUSED, 'still the loss the periodic check found');
      assert.equal((await healthOf(t)).status, 'red');
      assert.equal((await events(t, 'hub.link_restored')).length, 0);

      // The endpoint's own address, without the relay: this one works.
      assert.equal((await patch(t, hub.id, { mtls_endpoint_url: endpoint.url })).status, 200);
      const fixed = await settled(t);
      assert.equal(fixed.link_error, null);
      assert.equal(fixed.link_verified_at, fixed.ready_at);
      assert.deepEqual(await healthOf(t), { name: 'hub', status: 'green', reason: 'Mode C Hub ready; its mTLS link passed the latest check', action: null });

      const [lost] = await events(t, 'hub.link_lost');
      const restored = await events(t, 'hub.link_restored');
      assert.equal(restored.length, 1, 'the loss ends once');
      assert.equal(restored[0].actor, 'claresia:hub-provisioner');
      assert.equal(restored[0].subject, hub.id);
      assert.deepEqual(restored[0].data, { tenant_id: t.id, hub_id: hub.id, endpoint: endpoint.url, previous_error: REFUSED, endpoint_http_status: 200 });
      assert.equal(restored[0].hub_key_id, hub.hub_key_id, 'co-signed by the Hub key');
      assert.ok(Number(restored[0].seq) > Number(lost.seq));
      const verified = (await events(t, 'hub.link_verified')).filter((e) => e.data.endpoint === endpoint.url);
      assert.equal(verified.length, 1, 'the new settings are proven as before');
      const said = logs.lines.filter((l) => l.hub_id === hub.id && /hub link restored/.test(l.msg));
      assert.equal(said.length, 1);
      assert.equal(said[0].level, 30);
      assert.equal(said[0].msg, 'hub link restored: the Mode C endpoint passed the check of its new link settings');

      // The periodic checks that follow pass quietly.
      const s = provisionerSettings();
      const next = new Date(Date.now() + s.linkCheckMs);
      assert.equal(await recheckHubLinks(cp.server.ctx, s, () => next), 1);
      assert.equal((await hubOf(t)).link_checked_at, next.toISOString());
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
      assert.equal((await events(t, 'hub.link_lost')).length, 1);
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);
    });

    it('a new CA bundle proven before the next periodic check ends the loss too', async () => {
      const { t, hub } = await lostHub();
      await relay.start();
      assert.equal((await healthOf(t)).status, 'red', 'nothing has checked the link since it came back');
      const bundle = `${endpoint.ca.pem.trim()}\n${(await selfSigned('Acme Hub CA 2027')).pem.trim()}`;
      assert.equal((await patch(t, hub.id, { customer_ca_certificate: bundle })).status, 200);
      const fixed = await settled(t);
      assert.equal(fixed.link_error, null);
      assert.equal((await healthOf(t)).status, 'green');
      const restored = await events(t, 'hub.link_restored');
      assert.equal(restored.length, 1);
      assert.equal(restored[0].actor, 'claresia:hub-provisioner');
      assert.equal(restored[0].data.previous_error, REFUSED);
      assert.equal(restored[0].data.endpoint, behind(endpoint, relay));
    });
  });

  describe(`hub link re-check in the background [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let restore: () => void;

    before(async () => {
      // The shortest interval the setting takes, so the control plane's own monitor is seen at work.
      restore = withEnv({ ...FAST_PROVISIONER, CLARESIA_HUB_LINK_CHECK_SECONDS: '1' });
      endpoint = await startMtlsEndpoint();
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await relay?.stop();
      await endpoint?.close();
      restore?.();
    });

    it('notices the endpoint going away and coming back by itself', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const res = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: behind(endpoint, relay), customer_ca_certificate: endpoint.ca.pem } });
      assert.equal(res.status, 201, res.text);
      endpoint.trust(res.body.control_plane_client_certificate);
      const read = async () => (await cp.request('GET', '/api/v1/hub', { token: t.token })).body;
      await until('ready', async () => (await read()).status === 'ready');
      await relay.stop();
      const lost = await until('the link error', async () => (await read()).link_error);
      assert.match(lost, /the endpoint could not be reached/);
      assert.equal((await read()).status, 'ready');
      await relay.start();
      await until('the link passing again', async () => {
        const h = await read();
        return h.link_error === null && h.link_verified_at > h.ready_at;
      });
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'hub.link_lost' }), 1);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'hub.link_restored' }), 1);
    });
  });
}
