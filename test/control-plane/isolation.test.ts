import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`tenant isolation [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it("neither tenant can read, list or change the other's anything", async () => {
      const a = await cp.createTenant();
      const b = await cp.createTenant();
      const bAccount = (await cp.request('GET', '/api/v1/service-accounts', { token: b.token })).body.items[0];
      const before = { events: await cp.count('governance_events', { tenant_id: b.id }), tenant: await cp.db('tenants').where({ id: b.id }).first() };

      assert.equal((await cp.request('GET', `/api/v1/tenants/${b.id}`, { token: a.token })).status, 404);
      const list = await cp.request('GET', '/api/v1/tenants', { token: a.token });
      assert.deepEqual(list.body.items.map((t: any) => t.id), [a.id]);
      const byId = await cp.request('GET', `/api/v1/tenants?id=${b.id}`, { token: a.token });
      assert.deepEqual(byId.body.items, []);
      assert.equal((await cp.request('PATCH', `/api/v1/tenants/${b.id}`, { token: a.token, body: { display_name: 'pwned' } })).status, 404);
      assert.equal((await cp.request('DELETE', `/api/v1/service-accounts/${bAccount.id}`, { token: a.token })).status, 404);
      const events = await cp.request('GET', `/api/v1/hub/governance-events?tenant_id=${b.id}`, { token: a.token });
      assert.ok(events.body.items.every((e: any) => e.subject !== b.id && !JSON.stringify(e).includes(b.id)), 'tenant_id is ignored for tenant tokens');
      const verify = await cp.request('GET', `/api/v1/hub/governance-events:verify?tenant_id=${b.id}`, { token: a.token });
      assert.equal(verify.body.tenant_id, a.id);

      const after = { events: await cp.count('governance_events', { tenant_id: b.id }), tenant: await cp.db('tenants').where({ id: b.id }).first() };
      assert.deepEqual(after, before);
    });

    it('an operator names the tenant whose events it reads', async () => {
      const a = await cp.createTenant();
      const missing = await cp.request('GET', '/api/v1/hub/governance-events', { token: cp.operatorToken });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.field, 'tenant_id');
      const ok = await cp.request('GET', `/api/v1/hub/governance-events?tenant_id=${a.id}`, { token: cp.operatorToken });
      assert.equal(ok.body.items[0].type, 'tenant.created');
    });
  });
}
