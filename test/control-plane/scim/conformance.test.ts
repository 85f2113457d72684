import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, PATCH_OP, scim, scimCounts, user, type Directory } from './helpers.js';

/** RFC 7644 rules the reviewer found broken against a running control plane. */
for (const kind of dbKinds()) {
  describe(`scim RFC 7644 conformance [${kind}]`, function () {
    let cp: TestControlPlane;
    let d: Directory;
    let s: ReturnType<typeof scim>;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      d = await makeDirectory(cp, await cp.createTenant(), 'entra');
      s = scim(cp, d);
    });
    after(async () => cp?.close());

    it('§3.5.2: a PATCH making a value primary makes the others not primary; two primaries in one body are refused', async () => {
      const u = await s('POST', '/Users', user('prim@acme.example', { emails: [{ value: 'prim@acme.example', type: 'work', primary: true }, { value: 'prim@home.example', type: 'home' }] }));
      assert.equal(u.status, 201, u.text);
      const primaries = (body: any) => body.emails.filter((e: any) => e.primary === true).map((e: any) => e.value);
      const add = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'emails', value: { value: 'y@x.example', type: 'other', primary: true } }] });
      assert.equal(add.status, 200, add.text);
      assert.deepEqual(primaries(add.body), ['y@x.example']);
      const home = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails[type eq "home"].primary', value: true }] });
      assert.equal(home.status, 200, home.text);
      assert.deepEqual(primaries(home.body), ['prim@home.example']);
      assert.equal((await cp.db('scim_users').where({ id: u.body.id }).first()).email, 'prim@acme.example', 'the work email is still the one other modules read');

      const before = await scimCounts(cp);
      const two = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'emails', value: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }] });
      assert.equal(two.status, 400);
      assert.equal(two.body.scimType, 'invalidValue');
      const post = await s('POST', '/Users', user('two@acme.example', { emails: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }));
      assert.equal(post.status, 400);
      assert.match(post.body.detail, /emails: at most one value may be primary/);
      assert.deepEqual(await scimCounts(cp), before, 'refused writes change nothing');
    });
  });
}
