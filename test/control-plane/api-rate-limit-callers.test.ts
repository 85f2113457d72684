import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

// Whose budget a request spends when its Authorization header proves nothing (a made-up Bearer on
// a route without a token), or proves a caller without the right (403). Budgets small enough to
// spend in a test, with windows long enough that a slow machine spends them inside one: a tenant
// (and a connector) gets 20 per 20 s, an address 30 per 30 s.
const LIMITS = {
  tenant: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 20 },
  operator: { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 },
  anonymous: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 30 },
};
const EVENTS = '/api/v1/telemetry/events';
const madeUp = () => `ingest_${randomBytes(32).toString('base64url')}`;

for (const kind of dbKinds()) {
  // The tests share one address budget and run in order: the last one spends it.
  describe(`API rate limit: whose budget a doubtful credential spends [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    const platformKey = `claude-rl-${randomBytes(12).toString('hex')}`;

    before(async () => {
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential: platformKey, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true, apiRateLimit: LIMITS } });
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
    });

    it("telemetry: a connector's matched credential spends the connector's budget; a made-up one its address's", async () => {
      const t = await cp.createTenant();
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: platformKey, base_url: platforms.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      assert.equal(tested.body.status, 'connected', tested.text);
      for (let i = 0; i < 3; i++) {
        const sent = await cp.request('POST', EVENTS, { token: c.body.ingest_credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: `rl-${i}` } });
        assert.equal(sent.status, 202, sent.text);
        assert.equal(sent.headers.get('ratelimit-limit'), '20', "a connector's budget is a tenant's size");
        assert.equal(sent.headers.get('ratelimit-remaining'), String(19 - i), 'the connector has a budget of its own');
      }
      const forged = await cp.request('POST', EVENTS, { token: madeUp(), body: { skill_id: 'claresia.core.meeting-notes', invocation_id: 'rl-forged' } });
      assert.equal(forged.status, 401, forged.text);
      assert.equal(forged.headers.get('ratelimit-limit'), '30', "a credential that matched nothing spends its address's budget");
      // A tenant token on the route spends its tenant's budget, as on any other route.
      const before = Number((await cp.request('GET', '/api/v1/tenant', { token: t.token })).headers.get('ratelimit-remaining'));
      const byAdmin = await cp.request('POST', EVENTS, { token: t.token, body: { connector_id: c.body.id, skill_id: 'claresia.core.meeting-notes', invocation_id: 'rl-admin' } });
      assert.equal(byAdmin.status, 202, byAdmin.text);
      assert.equal(byAdmin.headers.get('ratelimit-remaining'), String(before - 1));
    });

    it("a token refused with 403 spends its own tenant's budget, with RateLimit headers, until 429", async () => {
      const t = await cp.createTenant();
      let n = 0;
      // Offboarding is the operator's: a tenant token may not, not even its own tenant.
      const offboard = () => cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: t.token });
      let r = await offboard();
      for (; n < 40 && r.status === 403; n++) {
        assert.equal(r.headers.get('ratelimit-limit'), '20', r.text);
        assert.equal(r.headers.get('ratelimit-remaining'), String(19 - n));
        r = await offboard();
      }
      assert.equal(r.status, 429, `after ${n} refusals: ${r.text}`);
      assert.equal(n, 20, 'every 403 counted');
      assert.notEqual((await cp.db('tenants').where({ id: t.id }).first()).status, 'offboarded');
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: t.token })).status, 429, "the tenant's own routes share the spent budget");
    });

    it('a made-up Bearer header on a route without a token (the token exchange) spends the address budget too', async () => {
      const t = await cp.createTenant();
      const exchange = (secret: string) =>
        cp.request('POST', '/api/v1/auth/token', {
          headers: { Authorization: `Bearer ${randomBytes(16).toString('hex')}` },
          body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: secret },
        });
      let r = await exchange('wrong');
      let n = 0;
      for (; n < 40 && r.status === 401; n++) {
        assert.equal(r.headers.get('ratelimit-limit'), '30', r.text);
        r = await exchange('wrong');
      }
      assert.equal(r.status, 429, `after ${n} wrong secrets: ${r.text}`);
      // The tenant's own chain, where its auth.login would go: the first test's connector has jobs
      // (its automatic test, its publish) that append to another tenant's whenever they run.
      const events = await cp.count('governance_events', { tenant_id: t.id });
      const real = await exchange(t.clientSecret);
      assert.equal(real.status, 429, 'the right secret waits as well: the address budget is spent');
      assert.equal(real.body.access_token, undefined);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), events, 'no auth.login for a refused exchange');
    });
  });
}
