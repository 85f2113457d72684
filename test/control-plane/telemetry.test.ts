import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

for (const kind of dbKinds()) {
  describe(`telemetry and going live [${kind}]`, function () {
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let connector: string;
    const credential = `claude-good-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    const send = (body: unknown, tenant = t) => cp.request('POST', '/api/v1/telemetry/events', { token: tenant.token, body });
    const addConnector = async (cred = credential, baseUrl = platforms.baseUrl('claude')) => {
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: `Claude ${cred.slice(-6)}`, credential: cred, base_url: baseUrl } });
      assert.equal(c.status, 201, c.text);
      return c.body.id as string;
    };
    // A new connector tests itself in the background and one that connects starts a publish:
    // their events (actor claresia:*) land whenever those jobs run, so only the rest is counted.
    const governance = async () => Number(((await cp.db('governance_events').whereNot('actor', 'like', 'claresia:%').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    const unchanged = async (fn: () => Promise<void>) => {
      const before = { events: await cp.count('telemetry_events'), gov: await governance() };
      await fn();
      assert.deepEqual({ events: await cp.count('telemetry_events'), gov: await governance() }, before);
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: t.token })).body.status, 'onboarding');
    };

    before(async () => {
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      connector = await addConnector();
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
    });

    it('an untested or failing connector cannot complete the smoke test: 409 naming connector_id, nothing recorded', async () => {
      const failing = await addConnector('claude-revoked-credential-000000000000');
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${failing}:test`, { token: t.token });
      assert.equal(tested.status, 422, tested.text);
      assert.equal(tested.body.connector.status, 'failed');
      // Nothing listens there: its automatic test finds the platform unreachable, which says nothing
      // about the key, so it stays untested, retrying. (A 404 would be a verdict: failed.)
      const untested = await addConnector(credential, 'http://127.0.0.1:1/nowhere');
      await unchanged(async () => {
        for (const [id, status] of [
          [untested, 'untested'],
          [failing, 'failed'],
        ]) {
          const res = await send({ connector_id: id, skill_id: 'claresia.core.meeting-notes', invocation_id: `early-${id}` });
          assert.equal(res.status, 409, res.text);
          assert.equal(res.body.error.code, 'connector_not_connected');
          assert.equal(res.body.error.field, 'connector_id');
          assert.match(res.body.error.message, new RegExp(`is ${status}: .*POST /api/v1/llm/connectors/${id}:test`));
        }
      });
      const ok = await cp.request('POST', `/api/v1/llm/connectors/${connector}:test`, { token: t.token });
      assert.equal(ok.body.status, 'connected', ok.text);
    });

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
        // An invocation cannot predate the tenant it was made in.
        [{ ...good, occurred_at: '2001-01-01T00:00:00Z' }, 'occurred_at', 'invalid_value'],
        [{ ...good, occurred_at: new Date(Date.now() - 3_600_000).toISOString() }, 'occurred_at', 'invalid_value'],
        [{ ...good, occurred_at: new Date(Date.now() + 6 * 60_000).toISOString() }, 'occurred_at', 'invalid_value'],
      ];
      const before = { events: await cp.count('telemetry_events'), gov: await governance() };
      for (const [body, field, code] of cases) {
        const res = await send(body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
      }
      assert.deepEqual({ events: await cp.count('telemetry_events'), gov: await governance() }, before);
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

    it('once live, invocations through any configured connector are recorded, whatever its last test said', async () => {
      const fresh = await addConnector(`${credential}-unknown`);
      const res = await send({ connector_id: fresh, skill_id: 'claresia.core.doc-summary', invocation_id: 'after-live', occurred_at: new Date(Date.now() - 60_000).toISOString() });
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(res.body, { recorded: true, duplicate: false, tenant_live: false });
    });
  });
}
