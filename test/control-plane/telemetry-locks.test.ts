import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until } from '../support/until.js';

for (const kind of dbKinds()) {
  describe(`telemetry and the connector row lock [${kind}] (review v1 #9)`, function () {
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    const platformKey = `claude-good-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

    before(async function () {
      // PGlite has one connection: a test transaction holding a row would hold off every request.
      if (kind !== 'pg') this.skip();
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential: platformKey, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
    });

    const connectedConnector = async (t: TenantFixture) => {
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: platformKey, base_url: platforms.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      assert.equal(tested.body.status, 'connected', tested.text);
      return { id: c.body.id as string, credential: c.body.ingest_credential as string };
    };

    /**
     * Sends one invocation while another transaction holds the connector row as a PATCH or a
     * test would (FOR NO KEY UPDATE), and says which came first: its answer, or its wait on a
     * lock. Either way the row is then released and the answer returned.
     */
    async function whileConnectorIsBeingChanged(connectorId: string, credential: string, invocationId: string) {
      let outcome: 'answered' | 'waited' = 'answered';
      let reply: Promise<{ status: number; text: string; body: any }> = Promise.resolve({ status: 0, text: '', body: undefined });
      await cp.db.transaction(async (trx: Knex.Transaction) => {
        await trx('llm_connectors').where({ id: connectorId }).update({ name: 'being renamed' });
        const holder = (await trx.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
        let answered = false;
        reply = cp.request('POST', '/api/v1/telemetry/events', { token: credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: invocationId } }).then((r) => {
          answered = true;
          return r;
        });
        outcome = await until('the invocation to be answered or to wait on a lock', async () => {
          if (answered) return 'answered' as const;
          // Only the invocation's read of the connector: the publish job the connector's test
          // started may also be waiting for the row, and says nothing about telemetry. Not only
          // behind the holder: the read may queue behind that job's wait for the same row.
          const r = await cp.db.raw(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> ?
               AND query ILIKE 'select%from "llm_connectors"%' AND query NOT ILIKE '%update%'`,
            [holder],
          );
          return r.rows[0].n > 0 ? ('waited' as const) : false;
        });
      });
      return { outcome, reply: await reply };
    }

    it('while onboarding, the smoke test reads the connector FOR SHARE: it waits for a change of the connector in progress', async () => {
      const t = await cp.createTenant();
      const c = await connectedConnector(t);
      const { outcome, reply } = await whileConnectorIsBeingChanged(c.id, c.credential, 'smoke');
      assert.equal(outcome, 'waited');
      assert.equal(reply.status, 202, reply.text);
      assert.equal(reply.body.tenant_live, true);
    });

    it('once live, an invocation takes no lock on the connector: a change of the connector in progress does not hold it off', async () => {
      const t = await cp.createTenant();
      const c = await connectedConnector(t);
      const smoke = await cp.request('POST', '/api/v1/telemetry/events', { token: c.credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: 'smoke' } });
      assert.equal(smoke.body.tenant_live, true, smoke.text);
      const { outcome, reply } = await whileConnectorIsBeingChanged(c.id, c.credential, 'after-live');
      assert.equal(outcome, 'answered');
      assert.equal(reply.status, 202, reply.text);
      assert.deepEqual(reply.body, { recorded: true, duplicate: false, tenant_live: false });
    });
  });
}
