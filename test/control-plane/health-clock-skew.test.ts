import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '2000', CLARESIA_PUBLISH_MAX_ATTEMPTS: '5' };

for (const kind of dbKinds()) {
  describe(`health: publishing judged on the database's clock, not a replica's [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let double: PlatformServer;
    let t: TenantFixture;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const check = async (name: string) => (await api('GET', '/api/v1/observability/tenant-health')).body.checks.find((c: any) => c.name === name);

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      double = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await double?.close();
      restoreEnv();
    });

    it('a published change stays up to date when the replica that made it runs 60 ms ahead of the database', async () => {
      const credential = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential, scopes: ['skills'] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential, base_url: `${double.url}/claude` });
      assert.equal(c.status, 201, c.text);
      await until('connected', async () => (await api('GET', `/api/v1/llm/connectors/${c.body.id}`)).body.status === 'connected');
      const e = await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ['claresia.core.meeting-notes'] });
      assert.equal(e.status, 201, e.text);
      await until('every request completed', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0 && (await cp.count('jobs', { tenant_id: t.id })) === 0);
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, status: 'failed' }), 0);
      assert.match((await check('distribution')).reason, /up to date with the last change/);

      // What a replica ahead of PostgreSQL writes with its own clock, as the reviewer simulated:
      // times that read 60 ms after the publish that carried the change (how far ahead that takes
      // depends on how soon the publish ran, so it is set from it rather than added).
      const { last_publish_at: publishedAt } = await cp.db('llm_connectors').where({ id: c.body.id }).first('last_publish_at');
      const ahead = cp.db.raw(`?::timestamptz + interval '60 milliseconds'`, [publishedAt]);
      const last = await cp.db('distribution_requests').where({ tenant_id: t.id }).orderBy('requested_at', 'desc').first('id');
      await cp.db('distribution_requests').where({ id: last.id }).update({ requested_at: ahead });
      await cp.db('skill_entitlements').where({ tenant_id: t.id }).update({ updated_at: ahead });

      const d = await check('distribution');
      assert.equal(d.status, 'green', d.reason);
      // Not "being published": that turns red 60 s later, for a change the platform already has.
      assert.match(d.reason, /up to date with the last change/);
      const s = await check('skills');
      assert.equal(s.status, 'green', s.reason);
    });
  });
}
