/** The shared client against a real control plane with a small request budget: it paces itself, and no 429 reaches its caller. */
import assert from 'node:assert/strict';
import { ClaresiaClient } from '@claresia/client';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

/** How many answers of a status the control plane has sent, from its own /metrics. */
function answered(metrics: string, status: number): number {
  let n = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('claresia_http_requests_total{') && line.includes(`status="${status}"`)) n += Number(line.split(' ').pop());
  }
  return n;
}

for (const kind of dbKinds()) {
  describe(`client: paces itself by the RateLimit headers [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      // Six requests per two seconds per tenant.
      cp = await startControlPlane({ db: kind, config: { apiRateLimit: { tenant: { sustainedPerSecond: 3, burstPerSecond: 100, windowSeconds: 2 } } } });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('one request at a time: waits when the budget is spent, so the server never answers 429', async () => {
      const client = new ClaresiaClient({ endpoint: cp.url, clientId: t.clientId, clientSecret: t.clientSecret, maxConcurrency: 1 });
      const before = answered(await cp.metrics(), 429);
      for (let i = 0; i < 20; i++) {
        const r = await client.post('/api/v1/identity/group-mappings', { body: { group: `claresia-pace-${i}`, role: 'member' } });
        assert.equal(r.status, 201);
      }
      assert.equal(answered(await cp.metrics(), 429), before, 'the client stopped before the limit, not after');
      const listed = await client.get('/api/v1/identity/group-mappings', { query: { limit: '100' } });
      assert.ok(listed.body.items.filter((m: { group: string }) => m.group.startsWith('claresia-pace-')).length === 20);
    });

    it('many at once: every request completes, any 429 is waited out inside the client', async () => {
      // A tenant of its own, so the budget the first test spent does not meet these first blind requests.
      const fresh = await cp.createTenant();
      const client = new ClaresiaClient({ endpoint: cp.url, clientId: fresh.clientId, clientSecret: fresh.clientSecret, maxConcurrency: 4 });
      const results = await Promise.all(Array.from({ length: 16 }, () => client.get('/api/v1/tenant')));
      assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    });
  });
}
