import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { openDatabase, type Db } from '@claresia/control-plane';
import { leaseSize, takeApiRequest } from '../../control-plane/src/http/rate-limit.js';

// Budgets small enough to spend in a test, with windows long enough that a slow CI machine
// spends them inside one window: a tenant gets 10 requests per 10 s, an address without a token 6.
const LIMITS = {
  tenant: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 10 },
  operator: { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 },
  anonymous: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 6 },
};

for (const kind of dbKinds()) {
  describe(`API rate limit: per tenant, operator apart, per address without a token [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let a: TenantFixture;
    let b: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { apiRateLimit: LIMITS } });
      a = await cp.createTenant();
      b = await cp.createTenant();
    });
    after(async () => cp?.close());

    it("answers 429 with Retry-After and RateLimit headers once a tenant's budget is spent, writing nothing; another tenant and the operator go on", async () => {
      const first = await cp.request('GET', '/api/v1/tenant', { token: a.token });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers.get('ratelimit-limit'), '10');
      assert.equal(first.headers.get('ratelimit-remaining'), '9');
      assert.equal(first.headers.get('ratelimit-policy'), '10;w=10');
      for (let i = 1; i < 10; i++) {
        const r = await cp.request('POST', '/api/v1/identity/group-mappings', { token: a.token, body: { group: `claresia-rl-${i}`, role: 'member' } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.headers.get('ratelimit-remaining'), String(9 - i));
      }
      const before = { mappings: await cp.count('group_mappings'), events: await cp.count('governance_events') };
      const refused = await cp.request('POST', '/api/v1/identity/group-mappings', { token: a.token, body: { group: 'claresia-rl-over', role: 'member' } });
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.body.error.code, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, `Retry-After ${refused.headers.get('retry-after')}`);
      assert.equal(refused.headers.get('ratelimit-remaining'), '0');
      assert.equal(refused.headers.get('ratelimit-reset'), String(retryAfter));
      assert.deepEqual({ mappings: await cp.count('group_mappings'), events: await cp.count('governance_events') }, before, 'a refused request writes nothing');
      // A refused request is not counted: the next one is refused as well, not later.
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: a.token })).status, 429);

      const other = await cp.request('GET', '/api/v1/tenant', { token: b.token });
      assert.equal(other.status, 200, other.text);
      assert.equal(other.headers.get('ratelimit-remaining'), '9', "tenant B's budget is its own");
      const op = await cp.request('GET', '/api/v1/tenants', { token: cp.operatorToken });
      assert.equal(op.status, 200, op.text);
      assert.equal(op.headers.get('ratelimit-limit'), '1000', 'the operator has a budget of its own');
    });

    it('a replica counts a few requests ahead, yet the replicas together never admit more than the budget', async function () {
      // One fixed second, so the burst is the bound: 200 in it, counted 10 at a time.
      const limit = { sustainedPerSecond: 100, burstPerSecond: 200, windowSeconds: 10 };
      assert.equal(leaseSize(limit), 10);
      const now = Date.UTC(2030, 0, 1);
      // A second replica needs a second connection to the same database: the real server only.
      const other: Db | undefined = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      const replicas = other ? [cp.db, other] : [cp.db];
      try {
        let admitted = 0;
        const refused = new Set<number>();
        for (let i = 0; refused.size < replicas.length && i < 1000; i++) {
          const r = i % replicas.length;
          try {
            await takeApiRequest(replicas[r]!, 'test:lease', limit, now);
            admitted++;
          } catch (err) {
            assert.equal((err as { status?: number }).status, 429);
            refused.add(r);
          }
        }
        assert.ok(admitted <= 200, `admitted ${admitted}`);
        // Each replica may hold at most 9 counted and unused when the other runs out.
        assert.ok(admitted >= 200 - 9 * (replicas.length - 1), `admitted ${admitted}`);
        const counted = await cp.db('api_rate_counters').where({ bucket: 'test:lease' }).sum({ n: 'n' }).first();
        assert.ok(Number(counted!.n) <= 200, `counted ${counted!.n}`);
      } finally {
        await other?.destroy();
      }
    });

    it('documents the 429 and its headers on every operation', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      for (const [path, ops] of Object.entries<any>(doc.paths)) {
        if (!path.startsWith('/api/v1/') || path.endsWith('/oidc/callback')) continue;
        for (const [method, op] of Object.entries<any>(ops)) {
          const r = op.responses?.['429'];
          assert.ok(r?.headers?.['Retry-After'] && r.headers['RateLimit-Remaining'] && r.headers['RateLimit-Reset'], `${method} ${path}`);
        }
      }
    });

    it('counts calls without a token, and with a refused one, per address: the token exchange is limited too', async () => {
      // createTenant spent two token exchanges from this address; spend the rest with a bad token.
      let status = 0;
      let n = 0;
      for (; n < 10 && status !== 429; n++) {
        status = (await cp.request('GET', '/api/v1/tenant', { token: 'not-a-token' })).status;
        assert.ok(status === 401 || status === 429, String(status));
      }
      assert.equal(status, 429, 'bad tokens spend the address budget');
      const events = await cp.count('governance_events');
      const exchange = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: b.clientId, client_secret: b.clientSecret } });
      assert.equal(exchange.status, 429, exchange.text);
      assert.ok(Number(exchange.headers.get('retry-after')) >= 1);
      assert.equal(exchange.body.access_token, undefined);
      assert.equal(await cp.count('governance_events'), events, 'no auth.login for a refused exchange');
      // A tenant's own token is not held back by its address.
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: b.token })).status, 200);
    });
  });
}
