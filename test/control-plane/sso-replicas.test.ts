import assert from 'node:assert/strict';
import { openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { http } from '../support/http.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { readAutoPostForm, startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { followUntil, startOidcIdp, type OidcIdp } from '../support/idp/oidc-idp.js';

for (const kind of dbKinds()) {
  describe(`sso test logins across replicas [${kind}]`, function () {
    let cp: TestControlPlane;
    let second: RunningServer;
    let secondDb: Db | undefined;
    let saml: SamlIdp;
    let oidc: OidcIdp;

    before(async () => {
      saml = await startSamlIdp();
      oidc = await startOidcIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      // A second replica: its own process state, the same database, master key and public URL.
      secondDb = kind === 'pg' ? openDatabase({ databaseUrl: cp.databaseUrl! }) : undefined;
      second = await startServer(
        { ...cp.server.ctx.config, port: 0, publicUrl: cp.url },
        { db: secondDb ?? cp.db, migrate: false },
      );
    });
    after(async () => {
      await second?.close();
      await secondDb?.destroy();
      await cp?.close();
      await saml?.close();
      await oidc?.close();
    });

    it('a SAML login started on one replica is completed on another', async () => {
      const t = await cp.createTenant();
      const c = (await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 's', protocol: 'saml', metadata_url: saml.metadataUrl } })).body;
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      const form = readAutoPostForm(await (await fetch(start.body.redirect_url)).text());
      const res = await http(second.url, 'POST', new URL(form.action).pathname, {
        raw: new URLSearchParams(form.fields).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'green');
    });

    it('an OIDC login started on one replica is completed on another', async () => {
      const t = await cp.createTenant();
      const c = (
        await cp.request('POST', '/api/v1/identity/sso/configure', {
          token: t.token,
          body: { name: 'o', protocol: 'oidc', discovery_url: oidc.discoveryUrl, client_id: 'replica-client', client_secret: 'replica-secret' },
        })
      ).body;
      oidc.addClient('replica-client', 'replica-secret', c.acs_url);
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      const back = new URL(await followUntil(start.body.redirect_url, c.acs_url));
      const res = await http(second.url, 'GET', back.pathname + back.search);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'green');
    });
  });
}
