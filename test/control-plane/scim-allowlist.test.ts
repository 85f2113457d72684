/** A SCIM directory's IP allowlist as the API stores it: one spelling per network. */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`scim directory allowlist [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('stores each network once in its canonical spelling, on create and on update', async () => {
      const t = await cp.createTenant();
      const made = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['2001:db8::/32', '2001:DB8::/32', '2001:0db8::/32'] } });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(made.body.ip_allowlist, ['2001:db8::/32']);
      const changed = await cp.request('PATCH', `/api/v1/identity/scim/directories/${made.body.id}`, { token: t.token, body: { ip_allowlist: ['2001:DB8:0:0:1::/80', '198.51.100.0/24'] } });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(changed.body.ip_allowlist, ['198.51.100.0/24', '2001:db8:0:0:1::/80']);
      const read = await cp.request('GET', `/api/v1/identity/scim/directories/${made.body.id}`, { token: t.token });
      assert.deepEqual(read.body.ip_allowlist, ['198.51.100.0/24', '2001:db8:0:0:1::/80']);
    });
  });
}
