/**
 * A person the IdP deleted over SCIM stays out, whatever the roster says later: a CSV import that
 * still lists them (HR exports lag the IdP) keeps their roster member inactive, and should a
 * member at that address be active anyway (written before that rule), sign-in must still find
 * the deleted SCIM user first and refuse.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory, scim, user } from './scim/helpers.js';
import { greenSamlConnection, signIn } from './rbac-support.js';

for (const kind of dbKinds()) {
  describe(`a SCIM-deleted person cannot sign in again through the roster [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;

    before(async () => {
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    it('refuses the sign-in after DELETE, also once a CSV import lists the address as active', async () => {
      const email = 'ann@acme.example';
      const dir = await makeDirectory(cp, t, 'okta');
      const conn = await greenSamlConnection(cp, t, idp);
      const created = await scim(cp, dir)('POST', '/Users', user(email, { title: 'Software Engineer' }));
      assert.equal(created.status, 201, created.text);
      assert.equal((await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token })).status, 200);
      assert.equal((await signIn(cp, idp, conn, email)).status, 200, 'signs in while provisioned');

      assert.equal((await scim(cp, dir)('DELETE', `/Users/${created.body.id}`)).status, 204);
      assert.equal((await signIn(cp, idp, conn, email)).status, 403);
      const csv = ['email,first_name,last_name,title,department,manager_email', `${email},Ann,L,Software Engineer,Engineering,`].join('\n');
      const imported = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'content-type': 'text/csv' } });
      assert.equal(imported.status, 200, imported.text);
      assert.equal(imported.body.deprovisioned, 1);
      assert.equal((await cp.db('roster_members').where({ tenant_id: t.id, email }).first()).active, false, 'the CSV left the member inactive');
      await cp.db('roster_members').where({ tenant_id: t.id, email }).update({ active: true });
      const again = await signIn(cp, idp, conn, email);
      assert.notEqual(again.status, 200, again.text);
      assert.equal(again.body.access_token, undefined);
    });
  });
}
