import assert from 'node:assert/strict';
import { sweep } from '../../control-plane/src/jobs/retention.js';
import { jobSettings } from '../../control-plane/src/jobs/settings.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

const DAY = 86_400_000;

for (const kind of dbKinds()) {
  describe(`retention of finished queue and webhook rows [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('deletes finished deliveries, their orphaned events and dead jobs past retention; keeps pending, live and recent ones', async () => {
      const t = await cp.createTenant();
      const now = new Date();
      const old = new Date(now.getTime() - 40 * DAY);
      const recent = new Date(now.getTime() - 2 * DAY);
      await cp.db('webhooks').insert({ id: 'whk_ret', tenant_id: t.id, url: 'https://hooks.example/x', events: JSON.stringify(['user.created']), status: 'active', secret_enc: 'x', created_at: old, updated_at: old });
      const event = (id: string, at: Date) => ({ id, tenant_id: t.id, type: 'user.created', data: JSON.stringify({}), created_at: at });
      await cp.db('webhook_events').insert([event('wev_old_done', old), event('wev_old_pending', old), event('wev_recent', recent), event('wev_old_orphan', old)]);
      const delivery = (id: string, eventId: string, status: string, at: Date) => ({ id, tenant_id: t.id, webhook_id: 'whk_ret', event_id: eventId, status, attempts: 1, created_at: at });
      await cp.db('webhook_deliveries').insert([
        delivery('whd_old_delivered', 'wev_old_done', 'delivered', old),
        delivery('whd_old_pending', 'wev_old_pending', 'pending', old),
        delivery('whd_recent_failed', 'wev_recent', 'failed', recent),
      ]);
      const job = (status: string, at: Date) => ({ queue: 'test.retention', payload: JSON.stringify({}), status, attempts: 1, max_attempts: 1, run_after: at, created_at: at });
      const [deadOld, deadRecent, queuedOld] = await Promise.all(
        [job('dead', old), job('dead', recent), job('queued', new Date(now.getTime() + 365 * DAY))].map(async (j) => Number((await cp.db('jobs').insert(j).returning('id'))[0].id)),
      );
      const swept = await sweep(cp.db, jobSettings({}).retentionMs, now);
      assert.deepEqual(swept, { deliveries: 1, events: 2, dead_jobs: 1 });
      assert.deepEqual((await cp.db('webhook_deliveries').where({ tenant_id: t.id }).orderBy('id').pluck('id')).sort(), ['whd_old_pending', 'whd_recent_failed']);
      assert.deepEqual((await cp.db('webhook_events').where({ tenant_id: t.id }).pluck('id')).sort(), ['wev_old_pending', 'wev_recent']);
      const jobs = (await cp.db('jobs').where({ queue: 'test.retention' }).pluck('id')).map(Number).sort((a, b) => a - b);
      assert.deepEqual(jobs, [deadRecent, queuedOld].sort((a, b) => a - b));
      assert.ok(!jobs.includes(deadOld));
      // Nothing left to take: a second sweep changes nothing.
      assert.deepEqual(await sweep(cp.db, jobSettings({}).retentionMs, now), { deliveries: 0, events: 0, dead_jobs: 0 });
      await cp.db('jobs').where({ queue: 'test.retention' }).delete();
    });

    it('reads its period and pace from the environment, refusing nonsense by name', () => {
      const s = jobSettings({ CLARESIA_RETENTION_DAYS: '7', CLARESIA_RETENTION_SWEEP_SECONDS: '60' });
      assert.equal(s.retentionMs, 7 * DAY);
      assert.equal(s.retentionSweepMs, 60_000);
      assert.throws(() => jobSettings({ CLARESIA_RETENTION_DAYS: '-1' }), /CLARESIA_RETENTION_DAYS/);
    });
  });
}
