import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';

// The OIDC callback is mounted beside the router (the IdP's redirect carries its own query
// parameters), so it has to count its callers itself. An address budget of 10 per 10 s: small
// enough to spend here, with a window a slow machine stays inside.
const LIMITS = { anonymous: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 10 } };

for (const kind of dbKinds()) {
  describe(`SSO: the OIDC callback spends the caller's address budget [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let idp: OidcIdp;
    before(async () => {
      idp = await startOidcIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true, apiRateLimit: LIMITS } });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    it('answers with RateLimit headers and 429 once the address has spent its budget, then records nothing more', async () => {
      const t = await cp.createTenant();
      const created = await cp.request('POST', '/api/v1/identity/sso/configure', {
        token: t.token,
        body: { protocol: 'oidc', name: 'Okta', discovery_url: idp.discoveryUrl, client_id: 'rate-limited', client_secret: 'oidc-client-secret-3f1e9a7c5b2d' },
      });
      assert.equal(created.status, 201, created.text);
      const callback = () => cp.request('GET', `/api/v1/identity/sso/connections/${created.body.id}/oidc/callback?code=abc&state=forged`);
      let r = await callback();
      // The fixture's token exchange spent from the same address budget already.
      const left = Number(r.headers.get('ratelimit-remaining'));
      assert.ok(left > 0 && left < 10, r.text);
      let n = 0;
      for (; n < 30 && r.status === 400; n++) {
        assert.equal(r.headers.get('ratelimit-limit'), '10', r.text);
        assert.equal(r.headers.get('ratelimit-remaining'), String(left - n));
        r = await callback();
      }
      assert.equal(r.status, 429, `after ${n} forged callbacks: ${r.text}`);
      assert.equal(n, left + 1, 'every forged callback counted');
      assert.ok(Number(r.headers.get('retry-after')) >= 1, 'a 429 says when to come back');
      const events = await cp.count('governance_events');
      assert.equal((await callback()).status, 429);
      assert.equal(await cp.count('governance_events'), events, 'a refused callback is not looked up or recorded');
    });
  });
}
