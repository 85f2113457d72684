/**
 * Concurrent writes of the same pack or archetype set. Each request reads what is stored, then
 * writes; the test lines them up so that every one of them has read before any writes (a SHARE
 * lock on the table lets the reads through and holds the inserts), which is the interleaving
 * that made all but one answer 500 (a unique violation) before the entitlement writes of a
 * tenant were serialised.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { until } from '../support/until.js';

const BASE = '/api/v1/skill-entitlement';
const N = 6;

for (const kind of dbKinds()) describe(`concurrent writes of one pack or archetype [${kind}]`, function () {
  let cp: TestControlPlane;

  before(async function () {
    // PGlite has one connection: it runs the requests one after another, so there is no race to show.
    if (kind !== 'pg') this.skip();
    cp = await startControlPlane({ db: kind, poolMax: N + 2 });
  });
  after(async () => cp?.close());

  /** Sends N copies of a request while `table` is SHARE-locked, releasing it once all N wait on a lock. */
  async function lined(t: TenantFixture, table: string, method: string, path: string, body: unknown) {
    let replies: Promise<{ status: number; text: string; body: any }>[] = [];
    await cp.db.transaction(async (trx) => {
      await trx.raw(`LOCK TABLE ${table} IN SHARE MODE`);
      replies = Array.from({ length: N }, () => cp.request(method, `${BASE}${path}`, { token: t.token, body }));
      await until(`${N} requests waiting on a lock`, async () => {
        const r = await cp.db.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> ?`, [
          (await trx.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid,
        ]);
        return r.rows[0].n >= N;
      });
    });
    return Promise.all(replies);
  }

  const statuses = (rs: Array<{ status: number }>) => rs.map((r) => r.status).sort();

  it('applies one pack from several requests at once: one 201, the rest 200, one row, sets right', async () => {
    const t = await cp.createTenant();
    const rs = await lined(t, 'cowork_applications', 'POST', '/coworks/go-to-market/apply', { blocked_skills: ['claresia.exec.web-research'] });
    assert.deepEqual(statuses(rs), [200, 200, 200, 200, 200, 201], rs.map((r) => r.text).join('\n'));
    assert.equal(await cp.count('cowork_applications', { tenant_id: t.id }), 1);
    const sales = await cp.request('GET', `${BASE}/archetypes/sales`, { token: t.token });
    assert.equal(sales.body.source, 'go-to-market');
    assert.ok(!sales.body.skills.includes('claresia.exec.web-research'));
    // The sets were written once: the later applies found them as they wanted them.
    assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'skill.entitlement_changed' }), 3);
    assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'cowork.applied' }), N);
  });

  it('replaces one archetype set from several PUTs at once: every one 200, one row, one change recorded', async () => {
    const t = await cp.createTenant();
    const skills = ['claresia.core.email-drafting', 'claresia.counsel.policy-qa'];
    const rs = await lined(t, 'skill_entitlements', 'PUT', '/archetypes/hr', { skills });
    assert.deepEqual(statuses(rs), Array(N).fill(200), rs.map((r) => r.text).join('\n'));
    const rows = await cp.db('skill_entitlements').where({ tenant_id: t.id, archetype: 'hr' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].source, 'manual');
    assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'skill.entitlement_changed', subject: 'hr' }), 1);
  });

  it('creates one archetype set from several POSTs at once: one 201, the rest 409 naming archetype', async () => {
    const t = await cp.createTenant();
    const rs = await lined(t, 'skill_entitlements', 'POST', '/archetypes', { archetype: 'legal', skills: ['claresia.core.doc-summary'] });
    assert.deepEqual(statuses(rs), [201, 409, 409, 409, 409, 409], rs.map((r) => r.text).join('\n'));
    for (const r of rs.filter((x) => x.status === 409)) assert.equal(r.body.error.field, 'archetype');
    assert.equal(await cp.count('skill_entitlements', { tenant_id: t.id, archetype: 'legal' }), 1);
  });
});
