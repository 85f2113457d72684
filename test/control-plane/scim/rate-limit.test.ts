import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../../support/db.js';
import { http } from '../../support/http.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { rateLimitFrom, takeRequest } from '../../../control-plane/src/scim/rate-limit.js';
import { ScimError } from '../../../control-plane/src/scim/errors.js';
import { makeDirectory, scim } from './helpers.js';

for (const kind of dbKinds()) {
  describe(`scim rate limit [${kind}]`, function () {
    let cp: TestControlPlane;
    let second: RunningServer;
    let secondDb: Db | undefined;
    // 5 requests per 5 s window, shared by the tenant's directories and by both replicas.
    const limit = { sustainedPerSecond: 1, burstPerSecond: 1000, windowSeconds: 5 };
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { scimRateLimit: limit } });
      secondDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      second = await startServer({ ...cp.server.ctx.config, port: 0, publicUrl: cp.url }, { db: secondDb ?? cp.db, migrate: false });
    });
    after(async () => {
      await second?.close();
      await secondDb?.destroy();
      await cp?.close();
    });

    it('counts per tenant in the database: both replicas share one budget, answered with 429 and Retry-After', async () => {
      const t = await cp.createTenant();
      const d1 = await makeDirectory(cp, t, 'okta');
      const d2 = await makeDirectory(cp, t, 'entra');
      const other = await makeDirectory(cp, await cp.createTenant(), 'okta');
      const statuses: number[] = [];
      const remaining: Array<string | null> = [];
      let refused;
      for (let i = 0; i < 7; i++) {
        const [base, dir] = i % 2 === 0 ? [cp.url, d1] : [second.url, d2];
        const r = await http(base, 'GET', `${dir.base}/Users`, { token: dir.token });
        statuses.push(r.status);
        if (r.status === 200) remaining.push(r.headers.get('ratelimit-remaining'));
        if (r.status === 429) refused = r;
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      assert.deepEqual(remaining, ['4', '3', '2', '1', '0'], 'each answer says how much of the window is left');
      assert.ok(Number(refused!.headers.get('retry-after')) >= 1);
      assert.equal(refused!.body.status, '429');
      assert.match(refused!.headers.get('content-type')!, /application\/scim\+json/);
      assert.equal((await scim(cp, other)('GET', '/Users')).status, 200, 'another tenant has its own budget');
      const unauth = await http(cp.url, 'GET', `${d1.base}/Users`, { token: 'scim_wrong' });
      assert.equal(unauth.status, 401, 'an unauthenticated caller is refused before it can spend the budget');
    });

    it('the window arithmetic: burst per second, sustained over the window, refused requests spend nothing', async () => {
      const t = await cp.createTenant();
      const l = { sustainedPerSecond: 2, burstPerSecond: 3, windowSeconds: 3 };
      const t0 = Math.floor(Date.now() / 1000) * 1000 + 1_000_000;
      const take = (ms: number) => takeRequest(cp.db, t.id, l, ms);
      const outcome = async (ms: number) => {
        try {
          await take(ms);
          return 'ok';
        } catch (err) {
          assert.ok(err instanceof ScimError && err.status === 429);
          return `429 retry ${err.headers['Retry-After']}`;
        }
      };
      // second 0: burst of 3, the 4th is over the per-second burst
      assert.deepEqual([await outcome(t0), await outcome(t0 + 10), await outcome(t0 + 20), await outcome(t0 + 30)], ['ok', 'ok', 'ok', '429 retry 1']);
      // seconds 1-2: the window (3 s x 2/s = 6) has room for 3 more, then is full
      assert.deepEqual([await outcome(t0 + 1000), await outcome(t0 + 1500), await outcome(t0 + 2000), await outcome(t0 + 2100)], ['ok', 'ok', 'ok', '429 retry 1']);
      // second 3: second 0 has left the window, its 3 requests are free again
      assert.deepEqual([await outcome(t0 + 3000), await outcome(t0 + 3001), await outcome(t0 + 3002), await outcome(t0 + 3003)], ['ok', 'ok', 'ok', '429 retry 1']);
      const stored = await cp.db('scim_rate_counters').where({ tenant_id: t.id }).orderBy('second');
      assert.deepEqual(stored.map((r: any) => Number(r.n)), [3, 2, 1, 3], 'refused requests were not counted');
    });

    it('reads its limits from configuration or the environment, and refuses nonsense', () => {
      assert.deepEqual(rateLimitFrom(undefined, {}), { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 });
      assert.deepEqual(rateLimitFrom(undefined, { CLARESIA_SCIM_RATE_PER_SECOND: '5', CLARESIA_SCIM_RATE_BURST: '50' }), { sustainedPerSecond: 5, burstPerSecond: 50, windowSeconds: 10 });
      assert.throws(() => rateLimitFrom(undefined, { CLARESIA_SCIM_RATE_BURST: 'lots' }), /CLARESIA_SCIM_RATE_BURST must be a positive integer/);
    });
  });
}
