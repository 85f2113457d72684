import assert from 'node:assert/strict';
import type { Request } from 'express';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { onRateLimited, spendRequest, type RateBudget } from '../../control-plane/src/http/rate-limit.js';

// The router and the routes mounted beside it (the OIDC callback) spend a request through one
// function; these are its rules, seen from the answer it writes the headers on. Budgets small
// enough to spend here (counted one request at a time), each of another size, with windows a
// slow machine stays inside.
const LIMITS = {
  tenant: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 30 },
  operator: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 20 },
  anonymous: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 10 },
};

/** Records the headers spendRequest puts on an answer. */
function answer() {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (k: string, v: string) => void (headers[k] = v) };
}

const from = (ip: string) => ({ ip, socket: {} }) as Pick<Request, 'ip' | 'socket'>;

for (const kind of dbKinds()) {
  describe(`spendRequest: one request of its payer's budget, headers on the answer [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    const app = (apiRateLimit = LIMITS) => ({ db: cp.db, config: { apiRateLimit } });
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('each payer spends its own bucket at its budget; a connector pays a budget of a tenant size apart from its tenant', async () => {
      const a = app();
      const spent = async (payer: Parameters<typeof spendRequest>[3], ip = '203.0.113.7') => {
        const res = answer();
        await spendRequest(a, from(ip), res, payer);
        return res.headers;
      };
      // A bucket's first request: the whole window until it leaves.
      assert.deepEqual(await spent('address'), { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '9', 'RateLimit-Reset': '10', 'RateLimit-Policy': '10;w=10' });
      assert.equal((await spent('address', '::ffff:203.0.113.7'))['RateLimit-Remaining'], '8', 'the same address, however the socket spells it');
      assert.equal((await spent('address', '203.0.113.8'))['RateLimit-Remaining'], '9', 'another address has its own');
      assert.deepEqual(await spent('operator'), { 'RateLimit-Limit': '20', 'RateLimit-Remaining': '19', 'RateLimit-Reset': '20', 'RateLimit-Policy': '20;w=20' });
      assert.deepEqual(await spent({ tenant: 'ten_1' }), { 'RateLimit-Limit': '30', 'RateLimit-Remaining': '29', 'RateLimit-Reset': '30', 'RateLimit-Policy': '30;w=30' });
      assert.equal((await spent({ tenant: 'ten_1' }))['RateLimit-Remaining'], '28');
      const connector = await spent({ connector: 'ten_1' });
      assert.deepEqual([connector['RateLimit-Limit'], connector['RateLimit-Remaining']], ['30', '29'], "a connector pays a tenant's size from a bucket of its own");
      const buckets = (await cp.db('api_rate_counters').distinct('bucket')).map((r: { bucket: string }) => r.bucket).sort();
      assert.deepEqual(buckets, ['connector:ten_1', 'ip:203.0.113.7', 'ip:203.0.113.8', 'operator', 'tenant:ten_1']);
    });

    it('over budget: throws the 429 with Retry-After and the RateLimit headers, sets none on the answer, and tells the metrics which budget', async () => {
      const a = app({ ...LIMITS, tenant: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 10 } });
      const heard: RateBudget[] = [];
      const stop = onRateLimited(cp.db, (b) => heard.push(b));
      try {
        for (let i = 0; i < 10; i++) await spendRequest(a, from('198.51.100.1'), answer(), { connector: 'llm_over' });
        const res = answer();
        const err = await spendRequest(a, from('198.51.100.1'), res, { connector: 'llm_over' }).then(
          () => assert.fail('the eleventh request of a budget of 10 was admitted'),
          (e: unknown) => e as { status: number; code: string; headers: Record<string, string> },
        );
        assert.deepEqual([err.status, err.code], [429, 'rate_limited']);
        assert.ok(Number(err.headers['Retry-After']) >= 1, JSON.stringify(err.headers));
        assert.deepEqual([err.headers['RateLimit-Limit'], err.headers['RateLimit-Remaining'], err.headers['RateLimit-Policy']], ['10', '0', '10;w=10']);
        assert.deepEqual(res.headers, {}, 'the error handler puts the 429 headers on the answer');
        assert.deepEqual(heard, ['connector']);
      } finally {
        stop();
      }
    });

    it('reads the budgets of an app once: the environment changed later gives no route another budget', async () => {
      const config = {};
      const a = { db: cp.db, config };
      const was = process.env.CLARESIA_API_ANONYMOUS_RATE_PER_SECOND;
      try {
        process.env.CLARESIA_API_ANONYMOUS_RATE_PER_SECOND = '7';
        const first = answer();
        await spendRequest(a, from('192.0.2.40'), first, 'address');
        assert.equal(first.headers['RateLimit-Limit'], '70');
        process.env.CLARESIA_API_ANONYMOUS_RATE_PER_SECOND = '3';
        const later = answer();
        await spendRequest(a, from('192.0.2.41'), later, 'address');
        assert.equal(later.headers['RateLimit-Limit'], '70');
      } finally {
        if (was === undefined) delete process.env.CLARESIA_API_ANONYMOUS_RATE_PER_SECOND;
        else process.env.CLARESIA_API_ANONYMOUS_RATE_PER_SECOND = was;
      }
    });
  });
}
