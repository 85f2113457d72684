import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { CORE_GROUP, makeDirectory, PATCH_OP, scim, user, type Directory } from './helpers.js';

// Groups such as "all-employees" hold thousands; the cap of 100 values is for emails and the like.
const SIZE = 400;

for (const kind of dbKinds()) {
  describe(`scim groups of hundreds of members [${kind}]`, function () {
    let cp: TestControlPlane;
    let d: Directory;
    let s: ReturnType<typeof scim>;
    let ids: string[];
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { scimRateLimit: { sustainedPerSecond: 100_000, burstPerSecond: 100_000 } } });
      d = await makeDirectory(cp, await cp.createTenant(), 'entra');
      s = scim(cp, d);
      ids = [];
      for (let i = 0; i < SIZE + 2; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, SIZE + 2 - i) }, (_, k) => s('POST', '/Users', user(`member${i + k}@acme.example`))));
        for (const r of batch) {
          assert.equal(r.status, 201, r.text);
          ids.push(r.body.id);
        }
      }
    });
    after(async () => cp?.close());

    it('POST /Groups with hundreds of members, then single-member adds and removes past 100, and reads', async () => {
      const created = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'all-employees', members: ids.slice(0, SIZE - 1).map((value) => ({ value })) });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.members.length, SIZE - 1);
      const gid = created.body.id;

      // Entra's shape: one member per operation.
      const add = await s('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: ids[SIZE - 1] }] }] });
      assert.equal(add.status, 200, add.text);
      assert.equal(add.body.members.length, SIZE);
      const addMany = await s('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: ids.slice(SIZE - 10).map((value) => ({ value })) }] });
      assert.equal(addMany.status, 200, addMany.text);
      assert.equal(addMany.body.members.length, SIZE + 2, 'members already in are not added twice');

      const remove = await s('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }] });
      assert.equal(remove.status, 200, remove.text);
      const byFilter = await s('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${ids[1]}"]` }] });
      assert.equal(byFilter.status, 200, byFilter.text);
      assert.equal(await cp.count('scim_group_members', { group_id: gid }), SIZE);

      const read = await s('GET', `/Groups/${gid}`);
      assert.equal(read.status, 200);
      assert.deepEqual(new Set(read.body.members.map((m: any) => m.value)), new Set(ids.slice(2)));
      const lookup = await s('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "all-employees"')}`);
      assert.deepEqual([lookup.body.totalResults, lookup.body.Resources[0].members], [1, undefined]);

      const put = await s('PUT', `/Groups/${gid}`, { schemas: [CORE_GROUP], displayName: 'all-employees', members: ids.map((value) => ({ value })) });
      assert.equal(put.status, 200, put.text);
      assert.equal(await cp.count('scim_group_members', { group_id: gid }), SIZE + 2);
    });

    it('keeps the cap of 100 values on the other multi-valued attributes', async () => {
      const emails = Array.from({ length: 101 }, (_, i) => ({ value: `e${i}@acme.example`, type: 'other' }));
      const res = await s('POST', '/Users', user('many-emails@acme.example', { emails }));
      assert.equal(res.status, 400);
      assert.match(res.body.detail, /emails has more than 100 values/);
    });
  });
}
