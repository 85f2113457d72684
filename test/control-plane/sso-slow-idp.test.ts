import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { until } from '../support/until.js';

/**
 * An IdP whose answers (an OIDC discovery document, SAML metadata) the test holds back until it
 * lets them go, and which counts the requests waiting on it right now.
 */
interface GatedIdp {
  origin: string;
  discoveryUrl: string;
  metadataUrl: string;
  waiting: number;
  /** Discovery documents asked for so far. */
  discoveries: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

async function startGatedIdp(metadataXml: string): Promise<GatedIdp> {
  let gate: Promise<void> | undefined;
  let open = () => {};
  const server = http.createServer(async (req, res) => {
    if (new URL(req.url ?? '/', idp.origin).pathname === '/.well-known/openid-configuration') idp.discoveries++;
    if (gate) {
      idp.waiting++;
      let gone = false;
      // A request the control plane gave up on no longer holds anything there.
      req.socket.once('close', () => {
        if (!gone) idp.waiting--;
        gone = true;
      });
      await gate;
      if (!gone) idp.waiting--;
      gone = true;
    }
    const path = new URL(req.url ?? '/', idp.origin).pathname;
    if (path === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer: idp.origin,
          authorization_endpoint: `${idp.origin}/auth`,
          token_endpoint: `${idp.origin}/token`,
          jwks_uri: `${idp.origin}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (path === '/metadata') {
      res.setHeader('content-type', 'application/samlmetadata+xml');
      res.end(metadataXml);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: GatedIdp = {
    origin,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    metadataUrl: `${origin}/metadata`,
    waiting: 0,
    discoveries: 0,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      gate = undefined;
      open();
    },
    close() {
      idp.release();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  return idp;
}

/** A request whose outcome the test can look at without waiting for it. */
function watch<T>(p: Promise<T>) {
  const w = { settled: false, result: p };
  void p.finally(() => (w.settled = true)).catch(() => {});
  return w;
}

/**
 * Requests that must consult the IdP (an anonymous sign-in start, a test login start, a
 * configure, a PATCH of IdP settings) do it before their transaction opens: an IdP that does
 * not answer must not hold database connections that every other tenant needs. PGlite has a
 * single connection, so there one held transaction would stop everyone; on the server the pool
 * is kept smaller than the number of slow requests.
 */
for (const kind of dbKinds()) {
  describe(`sso: a slow IdP holds no database connection [${kind}]`, function () {
    let cp: TestControlPlane;
    let saml: SamlIdp;
    let slow: GatedIdp;
    let a: TenantFixture;
    let b: TenantFixture;

    before(async function () {
      this.timeout(180_000);
      saml = await startSamlIdp();
      slow = await startGatedIdp(saml.metadataXml());
      cp = await startControlPlane({ db: kind, poolMax: 2, config: { allowPrivateUrls: true } });
      a = await cp.createTenant();
      b = await cp.createTenant();
    });
    after(async () => {
      await slow?.close();
      await cp?.close();
      await saml?.close();
    });

    afterEach(() => slow.release());

    it('another tenant writes while sign-in starts, a test start, a configure and a PATCH wait on the IdP; then they all finish', async function () {
      this.timeout(120_000);
      const oidc = await cp.request('POST', '/api/v1/identity/sso/configure', {
        token: a.token,
        body: { name: 'Slow OIDC', protocol: 'oidc', discovery_url: slow.discoveryUrl, client_id: 'claresia', client_secret: 'slow-idp-client-secret-1' },
      });
      assert.equal(oidc.status, 201, oidc.text);
      // Its test login passed earlier (covered by sso-oidc); since then the IdP has become slow.
      await cp.db('sso_connections').where({ id: oidc.body.id }).update({ status: 'green' });
      const samlConn = await cp.request('POST', '/api/v1/identity/sso/configure', { token: a.token, body: { name: 'Slow SAML', protocol: 'saml', metadata_url: slow.metadataUrl } });
      assert.equal(samlConn.status, 201, samlConn.text);

      slow.hold();
      const pending = [
        watch(fetch(`${cp.url}/api/v1/auth/sso/${oidc.body.id}/login`, { redirect: 'manual' }).then((r) => r.status)),
        watch(fetch(`${cp.url}/api/v1/auth/sso/${oidc.body.id}/login`, { redirect: 'manual' }).then((r) => r.status)),
        watch(cp.request('POST', `/api/v1/identity/sso/connections/${oidc.body.id}/test`, { token: a.token }).then((r) => r.status)),
        watch(cp.request('POST', '/api/v1/identity/sso/configure', { token: a.token, body: { name: 'Another', protocol: 'saml', metadata_url: `${slow.metadataUrl}?copy=1` } }).then((r) => r.status)),
        watch(cp.request('PATCH', `/api/v1/identity/sso/connections/${samlConn.body.id}`, { token: a.token, body: { metadata_url: `${slow.metadataUrl}?v=2` } }).then((r) => r.status)),
      ];
      // Were each of them holding a connection, no more than the pool's size could get this far.
      // The three OIDC starts share one discovery fetch (discovery-cache.ts).
      await until(`the slow requests waiting at the IdP at once (${slow.waiting} are)`, () => slow.waiting === 3, 30_000);

      const other = await cp.request('PATCH', '/api/v1/tenant', { token: b.token, body: { display_name: 'Written meanwhile' } });
      assert.equal(other.status, 200, other.text);
      const list = await cp.request('GET', '/api/v1/identity/sso/connections', { token: a.token });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        pending.map((p) => p.settled),
        pending.map(() => false),
        'the IdP still holds every slow request',
      );

      slow.release();
      assert.deepEqual(await Promise.all(pending.map((p) => p.result)), [302, 302, 201, 201, 200]);
      assert.equal(await cp.count('sso_login_states', { connection_id: oidc.body.id }), 3);
      assert.equal((await cp.db('sso_connections').where({ id: samlConn.body.id }).first()).metadata_url, `${slow.metadataUrl}?v=2`);
    });

    it('sign-in starts share one discovery fetch, kept afterwards, until the client settings change, which are not held back by a failure', async function () {
      this.timeout(60_000);
      const conn = await cp.request('POST', '/api/v1/identity/sso/configure', {
        token: a.token,
        body: { name: 'Cached OIDC', protocol: 'oidc', discovery_url: `${slow.discoveryUrl}?c=1`, client_id: 'claresia', client_secret: 'cached-idp-client-secret-1' },
      });
      assert.equal(conn.status, 201, conn.text);
      await cp.db('sso_connections').where({ id: conn.body.id }).update({ status: 'green' });
      const start = () => fetch(`${cp.url}/api/v1/auth/sso/${conn.body.id}/login`, { redirect: 'manual' }).then((r) => r.status);

      const before = slow.discoveries;
      slow.hold();
      const concurrent = [start(), start(), start()];
      await until(`a start waiting at the IdP (${slow.waiting} are)`, () => slow.waiting >= 1);
      slow.release();
      assert.deepEqual(await Promise.all(concurrent), [302, 302, 302]);
      assert.equal(await start(), 302);
      assert.equal(slow.discoveries - before, 1, 'four starts, one discovery document');

      // A new client secret is a new client: its first start fetches again.
      const patched = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn.body.id}`, { token: a.token, body: { client_secret: 'cached-idp-client-secret-2' } });
      assert.equal(patched.status, 200, patched.text);
      await cp.db('sso_connections').where({ id: conn.body.id }).update({ status: 'green' });
      const afterPatch = slow.discoveries;
      assert.equal(await start(), 302);
      assert.equal(await start(), 302);
      assert.equal(slow.discoveries - afterPatch, 1);

      // A failure is kept a while (sso-discovery-failure.test.ts), but new settings are a new client, fetched at once.
      const moved = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn.body.id}`, { token: a.token, body: { discovery_url: `${slow.discoveryUrl}?c=2` } });
      assert.equal(moved.status, 200, moved.text);
      await cp.db('sso_connections').where({ id: conn.body.id }).update({ status: 'green', discovery_url: `${slow.origin}/gone` });
      assert.equal(await start(), 400);
      await cp.db('sso_connections').where({ id: conn.body.id }).update({ discovery_url: `${slow.discoveryUrl}?c=2` });
      const afterFailure = slow.discoveries;
      assert.equal(await start(), 302);
      assert.equal(slow.discoveries - afterFailure, 1);
    });

    it('a PATCH whose IdP settings were checked against a connection changed meanwhile is refused and writes nothing', async function () {
      this.timeout(60_000);
      const conn = await cp.request('POST', '/api/v1/identity/sso/configure', { token: a.token, body: { name: 'Raced', protocol: 'saml', metadata_url: slow.metadataUrl } });
      assert.equal(conn.status, 201, conn.text);
      slow.hold();
      const patch = watch(cp.request('PATCH', `/api/v1/identity/sso/connections/${conn.body.id}`, { token: a.token, body: { metadata_url: `${slow.metadataUrl}?v=3` } }));
      await until('the PATCH waiting at the IdP', () => slow.waiting === 1);
      const other = await cp.request('PATCH', `/api/v1/identity/sso/connections/${conn.body.id}`, {
        token: a.token,
        body: { metadata_url: null, idp_sso_url: saml.ssoUrl, idp_certificate: saml.signing.certificatePem, idp_entity_id: 'https://idp.example/other' },
      });
      assert.equal(other.status, 200, other.text);
      const events = await cp.count('governance_events', { tenant_id: a.id });
      slow.release();
      const res = await patch.result;
      assert.equal(res.status, 409, res.text);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['conflict', 'id']);
      const row = await cp.db('sso_connections').where({ id: conn.body.id }).first();
      assert.deepEqual([row.metadata_url, row.idp_entity_id], [null, 'https://idp.example/other']);
      assert.equal(await cp.count('governance_events', { tenant_id: a.id }), events);
    });

    it('a configure retried with its Idempotency-Key is answered from the first, fetching or not', async () => {
      const send = () =>
        cp.request('POST', '/api/v1/identity/sso/configure', {
          token: a.token,
          headers: { 'Idempotency-Key': 'sso-create-once' },
          body: { name: 'Once', protocol: 'saml', metadata_url: slow.metadataUrl },
        });
      const first = await send();
      assert.equal(first.status, 201, first.text);
      const again = await send();
      assert.equal(again.status, 201, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.id, first.body.id);
      assert.equal(await cp.count('sso_connections', { tenant_id: a.id, name: 'Once' }), 1);
    });
  });
}
