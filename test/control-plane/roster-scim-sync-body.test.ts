/**
 * POST /api/v1/roster/scim:sync takes no options: no body or `{}` runs the sync, and a body naming
 * a field is 400 naming it, with nothing synced or recorded, as distribution:republish does.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`roster scim:sync body [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const sync = (opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token, ...opts });
    const written = async () => ({ syncs: await cp.count('scim_syncs', { tenant_id: t.id }), events: await cp.count('governance_events', { tenant_id: t.id }) });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('runs with no body and with an empty object', async () => {
      const before = await written();
      const bare = await sync();
      assert.equal(bare.status, 200, bare.text);
      const empty = await sync({ body: {} });
      assert.equal(empty.status, 200, empty.text);
      assert.notEqual(empty.body.sync_id, bare.body.sync_id);
      assert.equal((await written()).syncs, before.syncs + 2);
    });

    it('refuses an unknown field, or a body that is not an object, naming it and writing nothing', async () => {
      const before = await written();
      const cases: Array<[{ body?: unknown; raw?: string }, string, string]> = [
        [{ body: { foo: 1 } }, 'foo', 'unknown_field'],
        [{ body: { directory_id: 'scim_0000000000000000' } }, 'directory_id', 'unknown_field'],
        [{ body: [] }, 'body', 'invalid_json'],
        [{ raw: '"now"' }, 'body', 'invalid_json'],
      ];
      for (const [opts, field, code] of cases) {
        const res = await sync(opts);
        assert.equal(res.status, 400, `${JSON.stringify(opts)}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
      }
      const foo = await sync({ body: { foo: 1 } });
      assert.equal(foo.body.error.message, 'foo is not a known field');
      assert.deepEqual(await written(), before);
    });
  });
}
