/**
 * The Pulumi Tenant run with a tenant's own token: a supportTier change (operator-only) fails the
 * update with the API's 403, naming the property, and changes nothing; a rename still applies.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { js, launchPlugin, req, secret, urnOf, type Plugin } from './support/engine.js';

for (const kind of dbKinds()) {
  describe(`pulumi Tenant supportTier with the tenant's own token [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let p: Plugin;
    let t: TenantFixture;
    const T = urnOf('Tenant', 'me');
    let inputs: Record<string, unknown>;
    let outs: Record<string, unknown>;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant({ support_tier: 'premium' });
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
      inputs = { slug: t.slug, displayName: t.body.display_name, region: 'eu-west-1', deploymentMode: 'A', billingContact: t.body.billing_contact, supportTier: 'premium' };
      outs = js((await p.call<any>('read', req.read(T, t.id, {}, inputs))).getProperties());
      assert.equal(outs.supportTier, 'premium');
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    it('refuses a supportTier change with a message naming the property, and changes nothing', async () => {
      const events = await cp.count('governance_events', { tenant_id: t.id });
      await assert.rejects(p.call('update', req.update(T, t.id, outs, { ...inputs, displayName: 'Renamed Too', supportTier: 'enterprise' }, false, inputs)), (e: Error) => {
        assert.match(e.message, /Tenant: support_tier is set by the operator \(Claresia or your MSP\), not with the tenant's own credentials/);
        assert.match(e.message, /403 forbidden, property supportTier/);
        return true;
      });
      const row = await cp.db('tenants').where({ id: t.id }).first();
      assert.deepEqual([row.support_tier, row.display_name], ['premium', t.body.display_name]);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), events);
    });

    it('applies a change that leaves supportTier alone', async () => {
      const updated = await p.call<any>('update', req.update(T, t.id, outs, { ...inputs, displayName: 'Renamed' }, false, inputs));
      assert.equal(js(updated.getProperties()).displayName, 'Renamed');
      assert.equal((await cp.db('tenants').where({ id: t.id }).first()).display_name, 'Renamed');
    });
  });
}
