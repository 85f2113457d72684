import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { trustedProxiesEnv } from '../../control-plane/src/config.js';
import { plainAddress } from '../../control-plane/src/http/client-address.js';

// Small address budget: 5 anonymous calls per 5 s, so a test spends it inside one window.
const LIMITS = {
  tenant: { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 },
  operator: { sustainedPerSecond: 100, burstPerSecond: 1000, windowSeconds: 10 },
  anonymous: { sustainedPerSecond: 1, burstPerSecond: 100, windowSeconds: 5 },
};

describe('CLARESIA_TRUSTED_PROXIES', () => {
  it('takes addresses, CIDRs and the named ranges, and names a bad entry', () => {
    assert.deepEqual(trustedProxiesEnv(undefined), []);
    assert.deepEqual(trustedProxiesEnv(' 10.0.0.0/8, loopback ,2001:db8::1,'), ['10.0.0.0/8', 'loopback', '2001:db8::1']);
    assert.throws(() => trustedProxiesEnv('10.0.0.0/8,lb.internal'), /CLARESIA_TRUSTED_PROXIES entry 2 \("lb\.internal"\) must be an IP address, a CIDR/);
    assert.throws(() => trustedProxiesEnv('10.0.0.0/33'), /CLARESIA_TRUSTED_PROXIES entry 1 \("10\.0\.0\.0\/33"\) prefix \/33 is too long/);
    assert.throws(() => trustedProxiesEnv('10.0.0.1/8'), /entry 1 .*host bits set/);
  });
});

describe('the client address of a forwarded entry', () => {
  it('drops a port and the IPv4-mapped prefix, and refuses what is no address', () => {
    for (const [raw, plain] of [
      ['203.0.113.5', '203.0.113.5'],
      ['203.0.113.5:443', '203.0.113.5'],
      ['[2001:DB8::1]:443', '2001:db8::1'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['2001:db8::1', '2001:db8::1'],
      ['::ffff:203.0.113.5', '203.0.113.5'],
      ['unknown', undefined],
      ['203.0.113.5:https', undefined],
      ['', undefined],
    ] as const) {
      assert.equal(plainAddress(raw), plain, raw);
    }
  });
});

for (const kind of dbKinds()) {
  describe(`trusted proxies: whose address a request has [${kind}]`, function () {
    this.timeout(60_000);
    let behindProxy: TestControlPlane;
    let direct: TestControlPlane;
    // Made before the budgets are spent: a tenant's token exchange is an anonymous call from here.
    const tenants = new Map<TestControlPlane, TenantFixture>();
    before(async () => {
      behindProxy = await startControlPlane({ db: kind, config: { apiRateLimit: LIMITS, trustedProxies: ['loopback'] } });
      direct = await startControlPlane({ db: kind, config: { apiRateLimit: LIMITS } });
      for (const cp of [behindProxy, direct]) tenants.set(cp, await cp.createTenant());
    });
    after(async () => {
      await behindProxy?.close();
      await direct?.close();
    });

    // The token exchange with no credentials: a 400 that spends the caller's address budget.
    const exchange = (cp: TestControlPlane, client: string) => cp.request('POST', '/api/v1/auth/token', { headers: { 'X-Forwarded-For': client }, body: {} });

    async function spend(cp: TestControlPlane, client: string): Promise<number> {
      let n = 0;
      while (n < 20 && (await exchange(cp, client)).status !== 429) n++;
      return n;
    }

    it("behind a trusted proxy each client has its own anonymous budget; without one, a forwarded address buys nothing", async () => {
      assert.equal(await spend(behindProxy, '198.51.100.10'), 5);
      // Written with a port (Azure Application Gateway), each connection is still that client.
      assert.equal((await exchange(behindProxy, '198.51.100.10:40001')).status, 429, 'a port does not buy a new budget');
      const other = await exchange(behindProxy, '198.51.100.11');
      assert.notEqual(other.status, 429, 'another client behind the same proxy still has its budget');
      assert.equal(other.headers.get('ratelimit-remaining'), '4');

      // This peer's budget already paid for the tenants' token exchanges in before().
      assert.ok((await spend(direct, '198.51.100.10')) <= 5);
      assert.equal((await exchange(direct, '198.51.100.11')).status, 429, 'a made-up X-Forwarded-For from an untrusted peer is ignored');
    });

    it("a SCIM directory's allowlist is checked against the forwarded client address only from a trusted proxy", async () => {
      for (const [cp, expected] of [
        [behindProxy, 200],
        [direct, 403],
      ] as const) {
        const t = tenants.get(cp)!;
        const dir = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['203.0.113.0/24'] } });
        assert.equal(dir.status, 201, dir.text);
        const users = (client: string) =>
          fetch(`${dir.body.endpoint_url}/Users`, { headers: { Authorization: `Bearer ${dir.body.bearer_token}`, 'X-Forwarded-For': client } }).then((r) => r.status);
        assert.equal(await users('203.0.113.9'), expected);
        assert.equal(await users('203.0.113.9:443'), expected, 'an entry with a port is its address');
        assert.equal(await users('[::ffff:203.0.113.9]:443'), expected);
        assert.equal(await users('198.51.100.9'), 403, 'an address outside the allowlist is refused either way');
      }
    });
  });
}
