/**
 * A read that checks a failing Hub link again (hub/link-on-read.ts) keeps to its budget when the
 * database makes it wait: the Hub's row locked by another request (a PATCH, a DELETE) while its
 * probe is out, or the table locked when it claims the Hub. It then answers the last check while
 * the lock is still held, instead of for as long as the lock is held. PATCH checks a new endpoint
 * before it locks the Hub, so its DNS lookup holds up none of them. Real mTLS endpoint behind a
 * loopback relay; the locks are taken on a connection of the test's own.
 */
import assert from 'node:assert/strict';
import { openDatabase, startServer, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { http } from '../support/http.js';
import { behind, captureLogs, FAST_PROVISIONER, hubReads, readyModeCHub } from '../support/hub-link.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';
import { READ_CHECK_FLOOR_MS } from '../../control-plane/src/hub/link-on-read.js';

const REFUSED = 'the endpoint could not be reached (ECONNREFUSED)';
/**
 * How long the test holds a lock at most when the request under test keeps waiting for it. Far
 * past the read's budget (about 2 s), so only a request that waits on the lock itself answers
 * after it; the assertions are on whether it answered while the lock was still held.
 */
const GIVE_UP_MS = 15_000;

for (const kind of dbKinds()) {
  describe(`hub link read vs database locks [${kind}]`, function () {
    this.timeout(90_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let restore: () => void;
    const logs = captureLogs();

    before(async function () {
      // PGlite has a single connection: a transaction holding a lock there holds the whole
      // database, so a request waits for the connection, not for a lock, and there is no lock
      // contention between requests to bound.
      if (kind !== 'pg') this.skip();
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
    afterEach(async () => {
      relay?.release();
      if (relay && !relay.listening) await relay.start();
    });

    const { hubOf, events } = hubReads(() => cp);
    const probesOf = (hub: { control_plane_client_certificate_sha256: string }) => endpoint.requests.filter((r) => r.clientFingerprint === hub.control_plane_client_certificate_sha256).length;

    /** A ready Mode C Hub whose link a periodic check found lost, its endpoint fixed since, last checked past the floor. */
    async function fixedLostHub() {
      const { t, hub } = await readyModeCHub(cp, endpoint, behind(endpoint, relay));
      const at = new Date(Date.now() + provisionerSettings().linkCheckMs);
      await cp.db('hubs').whereNot({ id: hub.id }).update({ link_checked_at: at });
      await relay.stop();
      assert.equal(await recheckHubLinks(cp.server.ctx, provisionerSettings(), () => at), 1);
      await relay.start();
      await cp.db('hubs').where({ id: hub.id }).update({ link_checked_at: new Date(Date.now() - READ_CHECK_FLOOR_MS - 1000) });
      return { t, hub };
    }

    /**
     * Takes a lock with `lockSql` in a transaction of the test's own and keeps it until `request`
     * has answered (or GIVE_UP_MS has passed); says whether it answered while the lock was held.
     */
    async function underLock<T>(lockSql: string, bindings: readonly string[], request: () => Promise<T>): Promise<{ answer: T; whileLocked: boolean }> {
      let unlock!: () => void;
      const unlocked = new Promise<void>((r) => (unlock = r));
      let locked!: () => void;
      const lockTaken = new Promise<void>((r) => (locked = r));
      const holder = cp.db.transaction(async (trx) => {
        await trx.raw(lockSql, bindings);
        locked();
        await unlocked;
      });
      await lockTaken;
      let released = false;
      const giveUp = setTimeout(() => {
        released = true;
        unlock();
      }, GIVE_UP_MS);
      try {
        const answer = await request();
        const whileLocked = !released;
        return { answer, whileLocked };
      } finally {
        clearTimeout(giveUp);
        unlock();
        await holder;
      }
    }

    it("a read whose probe passes while another request holds the Hub's row answers the last check without waiting for that request", async () => {
      const { t, hub } = await fixedLostHub();
      const before = probesOf(hub);
      relay.hold();
      const read = hubOf(t);
      await until('the probe in flight', async () => relay.held === 1);
      const { answer, whileLocked } = await underLock('SELECT id FROM hubs WHERE id = ? FOR UPDATE', [hub.id], async () => {
        relay.release();
        return read;
      });
      assert.ok(whileLocked, 'the read waited for the row lock past its budget');
      assert.equal(answer.link_error, REFUSED, 'the last check, as nothing could be recorded');
      assert.equal(probesOf(hub) - before, 1);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
      const said = logs.lines.filter((l) => l.hub_id === hub.id && /hub link check on read/.test(l.msg));
      assert.deepEqual(said.map((l) => l.level), [30], JSON.stringify(said));
      assert.match(said[0]!.msg, /did not answer within the read's budget/);
      // The Hub keeps the claim's lease; once it is over the next read records the fixed link.
      await cp.db('hubs').where({ id: hub.id }).update({ lease_until: null });
      assert.equal((await hubOf(t)).link_error, null);
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
    });

    it("a read whose probe times out while another request holds the Hub's row answers the last check without waiting for that request", async () => {
      const { t, hub } = await fixedLostHub();
      relay.hold();
      const read = hubOf(t);
      await until('the probe in flight', async () => relay.held === 1);
      const { answer, whileLocked } = await underLock('SELECT id FROM hubs WHERE id = ? FOR UPDATE', [hub.id], () => read);
      assert.ok(whileLocked, 'the read waited for the row lock past its budget');
      assert.equal(answer.link_error, REFUSED);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
    });

    it('a read that cannot claim the Hub (its table locked) answers the last check within its budget, with no probe', async () => {
      const { t, hub } = await fixedLostHub();
      const before = probesOf(hub);
      // EXCLUSIVE lets plain reads through (the Hub is read for the answer) but not the claim's FOR UPDATE.
      const { answer, whileLocked } = await underLock('LOCK TABLE hubs IN EXCLUSIVE MODE', [], () => hubOf(t));
      assert.ok(whileLocked, 'the read waited for the table lock past its budget');
      assert.equal(answer.link_error, REFUSED);
      assert.equal(probesOf(hub), before);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
    });

    it("PATCH checks a new endpoint before it locks the Hub: a refused endpoint is answered while another request holds the Hub's row", async () => {
      const { t, hub } = await readyModeCHub(cp, endpoint, behind(endpoint, relay));
      // A replica that refuses private addresses, as in production (this suite's own allows
      // them for its loopback endpoint, and then checks no name at all).
      const secondDb = openDatabase({ databaseUrl: cp.databaseUrl! });
      const second: RunningServer = await startServer({ ...cp.server.ctx.config, allowPrivateUrls: false, port: 0, publicUrl: cp.url }, { db: secondDb, migrate: false });
      try {
        const refused = 'https://localhost:8443/claresia';
        const { answer, whileLocked } = await underLock('SELECT id FROM hubs WHERE id = ? FOR UPDATE', [hub.id], () =>
          http(second.url, 'PATCH', `/api/v1/hubs/${hub.id}`, { token: t.token, body: { mtls_endpoint_url: refused } }),
        );
        assert.ok(whileLocked, 'PATCH checked the endpoint only once it had the lock');
        assert.equal(answer.status, 400, answer.text);
        assert.equal(answer.body.error.field, 'mtls_endpoint_url');
        assert.match(answer.body.error.message, /loopback/);
        const after = await cp.db('hubs').where({ id: hub.id }).first();
        assert.equal(after.mtls_endpoint_url, hub.mtls_endpoint_url);
        assert.equal(after.status, 'ready');
      } finally {
        await second.close();
        await secondDb.destroy();
      }
      // A good one still goes through, and one equal to the stored endpoint is no change.
      const moved = behind(endpoint, relay).replace('127.0.0.1', 'localhost');
      const ok = await cp.request('PATCH', `/api/v1/hubs/${hub.id}`, { token: t.token, body: { mtls_endpoint_url: moved } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.mtls_endpoint_url, moved);
      assert.equal(ok.body.status, 'provisioning');
      const same = await cp.request('PATCH', `/api/v1/hubs/${hub.id}`, { token: t.token, body: { mtls_endpoint_url: moved } });
      assert.equal(same.status, 200, same.text);
      assert.equal((await events(t, 'hub.config_changed')).length, 1);
    });
  });
}
