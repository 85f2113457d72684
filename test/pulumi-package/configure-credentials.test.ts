/**
 * Refused credentials fail Configure once (review r9 F3, Pulumi side): the plugin proves a token
 * with one request and exchanges client credentials at Configure, so a wrong or expired one is
 * one error naming the setting and where it came from, not one per resource and function. A
 * control plane that does not answer at Configure is left to the operations.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { launchPlugin, req, secret, type Plugin } from './support/engine.js';

const WRONG = 'op_WRONGTOKENVALUE123';

async function configured(env: Record<string, string>, settings: Record<string, unknown>): Promise<Error | undefined> {
  const p: Plugin = await launchPlugin(env);
  try {
    await p.call('configure', req.configure(settings));
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await p.stop();
  }
}

for (const kind of dbKinds()) {
  describe(`pulumi Configure proves the credentials [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('a wrong CLARESIA_TOKEN fails Configure, naming CLARESIA_TOKEN and saying a tenant token expires', async () => {
      const err = await configured({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: WRONG }, {});
      assert.ok(err, 'Configure succeeded');
      assert.match(err.message, /the control plane refused the token \(from CLARESIA_TOKEN\): invalid token \(401 from GET \/api\/v1\/me\)\./);
      assert.match(err.message, /tenant token .* expires/);
      assert.match(err.message, /claresia:clientId and claresia:clientSecret/);
      assert.doesNotMatch(err.message, new RegExp(WRONG));
    });

    it('a revoked token set as claresia:token is named as such', async () => {
      const login = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret } });
      const jwt = login.body.access_token as string;
      assert.equal((await cp.request('POST', '/api/v1/auth/revoke', { token: jwt })).status, 204);
      const err = await configured({}, { endpoint: cp.url, token: secret(jwt) });
      assert.match(err?.message ?? '', /refused the token \(from claresia:token\): token revoked \(401 /);
      assert.ok(!err!.message.includes(jwt));
    });

    it('a wrong client secret fails Configure, naming where the pair came from', async () => {
      const err = await configured({ CLARESIA_CLIENT_SECRET: 'cs_wrong_value' }, { endpoint: cp.url, clientId: t.clientId });
      assert.match(err?.message ?? '', /refused the client id and secret \(from claresia:clientId and CLARESIA_CLIENT_SECRET\)/);
      assert.ok(!err!.message.includes('cs_wrong_value'));
    });

    it('right credentials of either kind configure', async () => {
      assert.equal(await configured({}, { endpoint: cp.url, token: secret(cp.operatorToken) }), undefined);
      assert.equal(await configured({}, { endpoint: cp.url, token: secret(t.token) }), undefined);
      assert.equal(await configured({ CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret }, {}), undefined);
    });
  });
}

describe('pulumi Configure when the control plane does not answer', function () {
  this.timeout(60_000);
  it('succeeds: each operation retries and reports it where it happens', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    assert.equal(await configured({}, { endpoint: `http://127.0.0.1:${closed}`, token: secret('op_unchecked') }), undefined);
  });
});
