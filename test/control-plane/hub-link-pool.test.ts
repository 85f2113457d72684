/**
 * A read that checks a failing Hub link again (hub/link-on-read.ts) keeps to its budget when no
 * connection of the database pool is free: other requests hold them all (a burst of requests, a
 * slow query each). It then answers the last check while the pool is still taken, instead of
 * waiting for a connection for the pool's own acquire timeout (knex's 60 s). The test takes every
 * connection of the server's own pool itself. Real mTLS endpoint behind a loopback relay.
 *
 * Both databases: PGlite's pool is one connection, which the test takes as it takes the several of
 * a PostgreSQL pool.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { behind, captureLogs, FAST_PROVISIONER, hubReads, readyModeCHub } from '../support/hub-link.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { startTcpRelay, type TcpRelay } from '../support/platforms/tcp-relay.js';
import { until, withEnv } from '../support/until.js';
import { provisionerSettings } from '../../control-plane/src/hub/settings.js';
import { recheckHubLinks } from '../../control-plane/src/hub/link-monitor.js';
import { READ_CHECK_FLOOR_MS } from '../../control-plane/src/hub/link-on-read.js';

const REFUSED = 'the endpoint could not be reached (ECONNREFUSED)';
/** Connections in the server's PostgreSQL pool: few, so the test can hold them all. */
const POOL_MAX = 3;
/**
 * How long the test holds the pool at most when the request under test keeps waiting for a
 * connection. Far past the read's budget (about 2 s) and far short of the pool's acquire timeout
 * (60 s), so only a read that waits on the pool itself answers after it; the assertions are on
 * whether it answered while the pool was still taken.
 */
const GIVE_UP_MS = 15_000;

for (const kind of dbKinds()) {
  describe(`hub link read with every database connection taken [${kind}]`, function () {
    this.timeout(90_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let relay: TcpRelay;
    let restore: () => void;
    const logs = captureLogs();
    const size = kind === 'pg' ? POOL_MAX : 1;

    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      endpoint = await startMtlsEndpoint();
      relay = await startTcpRelay(Number(new URL(endpoint.url).port));
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger, ...(kind === 'pg' ? { poolMax: POOL_MAX } : {}) });
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
    const readLogs = (hubId: string) => logs.lines.filter((l) => l.hub_id === hubId && /hub link check on read/.test(l.msg));

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

    /** Every connection of the server's pool, asked for now (in the order the pool hands them out). */
    function takePool(): Promise<unknown[]> {
      return Promise.all(Array.from({ length: size }, () => cp.db.client.acquireConnection() as Promise<unknown>));
    }

    /**
     * Holds the connections `taken` until `request` has answered (or GIVE_UP_MS has passed); says
     * whether it answered while they were held.
     */
    async function underFullPool<T>(taken: Promise<unknown[]>, request: () => Promise<T>): Promise<{ answer: T; whileHeld: boolean }> {
      const connections = await taken;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        for (const c of connections) cp.db.client.releaseConnection(c);
      };
      const giveUp = setTimeout(release, GIVE_UP_MS);
      try {
        const answer = await request();
        return { answer, whileHeld: !released };
      } finally {
        clearTimeout(giveUp);
        release();
      }
    }

    it('a read whose probe passes while other requests hold every connection answers the last check without waiting for one', async () => {
      const { t, hub } = await fixedLostHub();
      const before = probesOf(hub);
      relay.hold();
      const read = hubOf(t);
      await until('the probe in flight', async () => relay.held === 1);
      const { answer, whileHeld } = await underFullPool(takePool(), async () => {
        relay.release();
        return read;
      });
      assert.ok(whileHeld, 'the read waited for a pooled connection past its budget');
      assert.equal(answer.link_error, REFUSED, 'the last check, as nothing could be recorded');
      assert.equal(probesOf(hub) - before, 1);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
      const said = readLogs(hub.id);
      assert.deepEqual(said.map((l) => l.level), [30], JSON.stringify(said));
      assert.match(said[0]!.msg, /did not answer within the read's budget \(the Hub locked by another request, or no pooled connection free\?\)/);
      // The pool is free again: once the claim's lease is over the next read records the fixed link.
      await cp.db('hubs').where({ id: hub.id }).update({ lease_until: null });
      assert.equal((await hubOf(t)).link_error, null);
      assert.equal((await events(t, 'hub.link_restored')).length, 1);
    });

    it('a read that finds every connection taken when it would claim the Hub answers the last check, with no probe', async () => {
      const { t, hub } = await fixedLostHub();
      const before = probesOf(hub);
      // The pool is taken as the read loads the Hub for its answer: asked for then, the test's
      // connections come before the claim's, which is asked for once that load is done.
      let taken: Promise<unknown[]> | undefined;
      const onQuery = (q: { sql: string; bindings?: unknown[] }) => {
        if (!taken && /from "hubs"/i.test(q.sql) && (q.bindings ?? []).includes(t.id)) taken = takePool();
      };
      cp.db.on('query', onQuery);
      const read = hubOf(t);
      try {
        await until('the read loading the Hub', () => !!taken);
      } finally {
        cp.db.off('query', onQuery);
      }
      const { answer, whileHeld } = await underFullPool(taken!, () => read);
      assert.ok(whileHeld, 'the read waited for a pooled connection past its budget');
      assert.equal(answer.link_error, REFUSED);
      assert.equal(probesOf(hub), before);
      assert.equal((await events(t, 'hub.link_restored')).length, 0);
      assert.equal(readLogs(hub.id).length, 1);
      // Nothing was claimed: the next read checks the link at once.
      assert.equal((await hubOf(t)).link_error, null);
      assert.equal(probesOf(hub) - before, 1);
    });
  });
}
