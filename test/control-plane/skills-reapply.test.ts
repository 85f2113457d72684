/**
 * Re-running the runbook's apply of a Cowork pack, with or without a body, and the 404s of
 * skill sets and packs that are not there to act on.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const BASE = '/api/v1/skill-entitlement';
const TRANSLATION = 'claresia.core.translation';

for (const kind of dbKinds()) {
  describe(`cowork re-apply and skill-set 404s [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const req = (method: string, path: string, body?: unknown) => cp.request(method, `${BASE}${path}`, { token: t.token, ...(body === undefined ? {} : { body }) });
    const engSkills = async () => (await req('GET', '/archetypes/eng')).body.skills as string[];

    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    beforeEach(async () => {
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('keeps the blocked skills when the apply names none (no body, or {}); only an explicit list changes them', async () => {
      const first = await req('POST', '/coworks/starter/apply', { blocked_skills: [TRANSLATION] });
      assert.equal(first.status, 201, first.text);
      assert.ok(!(await engSkills()).includes(TRANSLATION));
      const changesBefore = await cp.count('governance_events', { tenant_id: t.id, type: 'skill.entitlement_changed' });
      const requestsBefore = await cp.count('distribution_requests', { tenant_id: t.id });

      for (const body of [undefined, {}]) {
        const again = await req('POST', '/coworks/starter/apply', body);
        assert.equal(again.status, 200, again.text);
        assert.deepEqual(again.body.blocked_skills, [TRANSLATION], `re-apply with ${JSON.stringify(body)} keeps the policy`);
        assert.ok(!(await engSkills()).includes(TRANSLATION), 'the blocked skill is not granted again');
      }
      assert.deepEqual((await req('GET', '/coworks/starter')).body.blocked_skills, [TRANSLATION]);
      // Nothing was handed out again, so nothing changed and nothing was queued for the platforms.
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'skill.entitlement_changed' }), changesBefore);
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id }), requestsBefore);
      const applied = await cp.db('governance_events').where({ tenant_id: t.id, type: 'cowork.applied' }).orderBy('seq', 'desc').first();
      assert.deepEqual(applied.data.blocked_skills, [TRANSLATION], 'the audit trail records the list in force');

      // An explicit empty list (or null, as PATCH takes it) is what unblocks.
      const cleared = await req('POST', '/coworks/starter/apply', { blocked_skills: [] });
      assert.equal(cleared.status, 200, cleared.text);
      assert.deepEqual(cleared.body.blocked_skills, []);
      assert.ok((await engSkills()).includes(TRANSLATION));
      await req('POST', '/coworks/starter/apply', { blocked_skills: [TRANSLATION] });
      const nulled = await req('POST', '/coworks/starter/apply', { blocked_skills: null });
      assert.equal(nulled.status, 200, nulled.text);
      assert.deepEqual(nulled.body.blocked_skills, []);
      assert.ok((await engSkills()).includes(TRANSLATION));
    });

    it('applies a pack for the first time without a body, blocking nothing', async () => {
      const res = await req('POST', '/coworks/starter/apply');
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.blocked_skills, []);
      assert.ok((await engSkills()).includes(TRANSLATION));
    });

    it('refuses to delete a set that comes from a pack (404 naming the pack), changing nothing', async () => {
      await req('POST', '/coworks/starter/apply');
      await req('POST', '/coworks/back-office/apply');
      const before = {
        events: await cp.count('governance_events', { tenant_id: t.id }),
        requests: await cp.count('distribution_requests', { tenant_id: t.id }),
      };
      const one = await req('DELETE', '/archetypes/eng');
      assert.equal(one.status, 404, one.text);
      assert.equal(one.body.error.code, 'not_found');
      assert.equal(one.body.error.field, 'archetype');
      assert.match(one.body.error.message, /^archetype eng has no managed skill set; its skills come from pack starter\b/);
      const two = await req('DELETE', '/archetypes/finance');
      assert.equal(two.status, 404, two.text);
      assert.match(two.body.error.message, /^archetype finance has no managed skill set; its skills come from packs back-office, starter\b/);
      assert.deepEqual({ events: await cp.count('governance_events', { tenant_id: t.id }), requests: await cp.count('distribution_requests', { tenant_id: t.id }) }, before);
      assert.equal((await req('GET', '/archetypes/eng')).body.source, 'starter');
      // A managed set is still deleted, handing the archetype back to the packs.
      assert.equal((await req('PUT', '/archetypes/eng', { skills: ['claresia.core.doc-summary'] })).status, 200);
      assert.equal((await req('DELETE', '/archetypes/eng')).status, 204);
      assert.equal((await req('GET', '/archetypes/eng')).body.source, 'starter');
    });

    it('says in plain words that a known pack is not applied, and how to apply it', async () => {
      for (const [m, body] of [
        ['GET', undefined],
        ['PATCH', { blocked_skills: [] }],
        ['DELETE', undefined],
      ] as const) {
        const r = await req(m, '/coworks/starter', body);
        assert.equal(r.status, 404, r.text);
        assert.equal(r.body.error.field, 'pack');
        assert.equal(r.body.error.message, 'cowork pack starter is not applied; apply it with POST /api/v1/skill-entitlement/coworks/starter/apply', `${m}`);
      }
      const unknown = await req('GET', '/coworks/platinum');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.message, 'cowork pack platinum not found');
    });

    it('says in plain words that the tenant has no Hub', async () => {
      const r = await cp.request('GET', '/api/v1/hub', { token: t.token });
      assert.equal(r.status, 404, r.text);
      assert.equal(r.body.error.message, 'this tenant has no Hub; provision one with POST /api/v1/hub/provision');
    });
  });
}
