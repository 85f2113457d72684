/**
 * The support plan is the operator's: a tenant's own credentials (service account or signed-in
 * admin) cannot change support_tier, by PATCH /api/v1/tenant or /api/v1/tenants/{id}; 403 naming
 * it, nothing written. billing_contact stays the tenant's to change.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`tenant support_tier is operator-only [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const snapshot = async () => ({
      tenant: (await cp.request('GET', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).body,
      events: await cp.count('governance_events', { tenant_id: t.id }),
    });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant({ support_tier: 'premium' });
    });
    after(async () => cp?.close());

    it("refuses a change of support_tier with the tenant's token: 403 naming support_tier, nothing written", async () => {
      const before = await snapshot();
      const cases: Array<[string, Record<string, unknown>]> = [
        ['/api/v1/tenant', { support_tier: 'enterprise' }],
        ['/api/v1/tenant', { support_tier: 'standard' }],
        // null means "back to the default", standard: a change too.
        ['/api/v1/tenant', { support_tier: null }],
        // The whole request is refused, not only the field: the rename does not happen either.
        ['/api/v1/tenant', { display_name: 'Renamed', support_tier: 'enterprise' }],
        [`/api/v1/tenants/${t.id}`, { support_tier: 'enterprise' }],
      ];
      for (const [path, body] of cases) {
        const res = await cp.request('PATCH', path, { token: t.token, body });
        assert.equal(res.status, 403, `${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.error.code, 'forbidden');
        assert.equal(res.body.error.field, 'support_tier');
        assert.match(res.body.error.message, /support_tier is set by the operator/);
      }
      assert.deepEqual(await snapshot(), before);
    });

    it('accepts support_tier sent back unchanged, and other fields beside it', async () => {
      const same = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { support_tier: 'premium', display_name: 'Kept Tier Inc' } });
      assert.equal(same.status, 200, same.text);
      assert.equal(same.body.support_tier, 'premium');
      assert.equal(same.body.display_name, 'Kept Tier Inc');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.config_changed' }).orderBy('seq', 'desc').first();
      assert.deepEqual(Object.keys(ev.data.changes), ['display_name']);
    });

    it("lets the tenant change its own billing_contact", async () => {
      const res = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { billing_contact: 'AP@Example.com' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.billing_contact, 'ap@example.com');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.config_changed' }).orderBy('seq', 'desc').first();
      assert.equal(ev.actor, (await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login' }).first()).actor);
      assert.deepEqual(ev.data.changes.billing_contact.to, 'ap@example.com');
    });

    it('lets the operator change it, recorded with the operator as actor', async () => {
      const res = await cp.request('PATCH', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken, body: { support_tier: 'enterprise' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.support_tier, 'enterprise');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.config_changed' }).orderBy('seq', 'desc').first();
      assert.equal(ev.actor, 'operator');
      assert.deepEqual(ev.data.changes, { support_tier: { from: 'premium', to: 'enterprise' } });
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: t.token })).body.support_tier, 'enterprise', 'the tenant reads its plan');
    });
  });
}
