import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`telemetry and going live [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    let connector: string;
    const send = (body: unknown, tenant = t) => cp.request('POST', '/api/v1/telemetry/events', { token: tenant.token, body });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: 'sk-ant-test-credential' } });
      assert.equal(c.status, 201, c.text);
      connector = c.body.id;
    });
    after(async () => cp?.close());

    it('rejects telemetry from an unknown connector, an unknown skill or a bad body, changing nothing', async () => {
      const other = await cp.createTenant();
      const foreign = await cp.request('POST', '/api/v1/llm/connectors', { token: other.token, body: { platform: 'slack', name: 'Slack', credential: 'xoxb-test-credential' } });
      const good = { connector_id: connector, skill_id: 'claresia.gatespic.pipeline-hygiene', invocation_id: 'inv-1' };
      const cases: Array<[unknown, string, string]> = [
        [{ ...good, connector_id: 'llm_0000000000000000' }, 'connector_id', 'unknown_connector'],
        [{ ...good, connector_id: foreign.body.id }, 'connector_id', 'unknown_connector'],
        [{ ...good, skill_id: 'claresia.nope.missing' }, 'skill_id', 'unknown_skill'],
        [{ ...good, skill_id: 'not a skill' }, 'skill_id', 'invalid_value'],
        [{ ...good, invocation_id: undefined }, 'invocation_id', 'missing_field'],
        [{ ...good, occurred_at: 'yesterday' }, 'occurred_at', 'invalid_value'],
        [{ ...good, occurred_at: new Date(Date.now() + 86_400_000).toISOString() }, 'occurred_at', 'invalid_value'],
        [{ ...good, user_email: 'nobody' }, 'user_email', 'invalid_value'],
      ];
      const before = { events: await cp.count('telemetry_events'), gov: await cp.count('governance_events') };
      for (const [body, field, code] of cases) {
        const res = await send(body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
      }
      assert.deepEqual({ events: await cp.count('telemetry_events'), gov: await cp.count('governance_events') }, before);
      const tenant = await cp.request('GET', '/api/v1/tenant', { token: t.token });
      assert.equal(tenant.body.status, 'onboarding');
    });

    it('the first invocation completes the smoke test: the tenant goes live and tenant.live is written once, even under a race', async () => {
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => send({ connector_id: connector, skill_id: 'claresia.core.meeting-notes', invocation_id: `smoke-${i}`, user_email: 'Ada@Acme.example' })),
      );
      assert.deepEqual(results.map((r) => r.status), [202, 202, 202, 202, 202]);
      assert.equal(results.filter((r) => r.body.tenant_live).length, 1);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'tenant.live' }), 1);
      const tenant = await cp.request('GET', '/api/v1/tenant', { token: t.token });
      assert.equal(tenant.body.status, 'live');
      const later = await send({ connector_id: connector, skill_id: 'claresia.core.doc-summary', invocation_id: 'later-1' });
      assert.equal(later.body.tenant_live, false);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'tenant.live' }), 1);
    });

    it('records a retried delivery once', async () => {
      const n = await cp.count('telemetry_events', { tenant_id: t.id });
      const again = await send({ connector_id: connector, skill_id: 'claresia.core.meeting-notes', invocation_id: 'smoke-1' });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { recorded: false, duplicate: true, tenant_live: false });
      assert.equal(await cp.count('telemetry_events', { tenant_id: t.id }), n);
      const list = await cp.request('GET', '/api/v1/telemetry/events?skill_id=claresia.core.meeting-notes', { token: t.token });
      assert.equal(list.body.items.length, 5);
      assert.equal(list.body.items[0].user_email, 'ada@acme.example');
    });
  });
}
