/**
 * A tenant health read probes the hubs table and reads the tenant's Hub once, for both the link
 * check on read and the facts (modules/health.ts, health/hub-read.ts). Counted on the server's
 * own knex instance ('query' events), keeping the statements that name this tenant or the hubs
 * table: the background workers' scans of all Hubs name neither.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { FAST_PROVISIONER } from '../support/hub-link.js';
import { until, withEnv } from '../support/until.js';

interface Asked {
  sql: string;
  bindings: unknown[];
}

for (const kind of dbKinds()) {
  describe(`tenant health reads the Hub once [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let restore: () => void;

    before(async () => {
      restore = withEnv(FAST_PROVISIONER);
      cp = await startControlPlane({ db: kind });
    });
    after(async () => {
      await cp?.close();
      restore?.();
    });

    /** One health read, the hub check it answered, and the statements it ran about the hubs table. */
    async function healthRead(t: TenantFixture) {
      const asked: Asked[] = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) => asked.push({ sql: q.sql, bindings: q.bindings ?? [] });
      cp.db.on('query', listen);
      let res;
      try {
        res = await cp.request('GET', '/api/v1/observability/tenant-health', { token: t.token });
      } finally {
        cp.db.off('query', listen);
      }
      assert.equal(res.status, 200, res.text);
      const rowReads = asked.filter((q) => /from "hubs"/i.test(q.sql) && q.bindings.includes(t.id));
      const probes = asked.filter((q) => /information_schema\.columns|to_regclass/i.test(q.sql) && q.bindings.includes('hubs'));
      return { hub: res.body.checks.find((c: { name: string }) => c.name === 'hub'), rowReads, probes };
    }

    it('a tenant without a Hub: one look at the table, one read of its row', async () => {
      const t = await cp.createTenant();
      const { hub, rowReads, probes } = await healthRead(t);
      assert.equal(hub.status, 'red');
      assert.match(hub.reason, /no Hub/);
      assert.equal(rowReads.length, 1, rowReads.map((q) => q.sql).join('\n'));
      // Whether the table exists, then its columns: once each.
      assert.deepEqual(probes.map((q) => (/to_regclass/i.test(q.sql) ? 'exists' : 'columns')), ['exists', 'columns']);
    });

    it('a tenant with a ready Hub: the same, and the answer is the Hub\'s', async () => {
      const t = await cp.createTenant();
      const p = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'A' } });
      assert.ok([201, 202].includes(p.status), p.text);
      await until('the Hub is ready', async () => (await cp.request('GET', '/api/v1/hub', { token: t.token })).body.status === 'ready');
      const { hub, rowReads, probes } = await healthRead(t);
      assert.equal(hub.status, 'green', hub.reason);
      assert.equal(rowReads.length, 1, rowReads.map((q) => q.sql).join('\n'));
      assert.equal(probes.length, 2, probes.map((q) => q.sql).join('\n'));
    });
  });
}
