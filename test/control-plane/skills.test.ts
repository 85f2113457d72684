import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { normalizeValue, resourceByName } from '@claresia/catalog';
import { until } from '../support/until.js';

const BASE = '/api/v1/skill-entitlement';

for (const kind of dbKinds()) {
  describe(`skills and cowork packs [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const req = (method: string, path: string, body?: unknown, tenant = t) => cp.request(method, `${BASE}${path}`, { token: tenant.token, ...(body === undefined ? {} : { body }) });
    const state = async () => ({
      coworks: await cp.count('cowork_applications'),
      ents: await cp.count('skill_entitlements'),
      events: await cp.count('governance_events'),
      requests: await cp.count('distribution_requests'),
    });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('serves the skill catalog and the packs', async () => {
      const res = await req('GET', '/skills');
      assert.equal(res.status, 200);
      assert.ok(res.body.skills.some((s: any) => s.id === 'claresia.gatespic.pipeline-hygiene'));
      assert.deepEqual(res.body.packs.map((p: any) => p.name).sort(), ['back-office', 'builders', 'enterprise', 'go-to-market', 'starter']);
      const list = await req('GET', '/coworks');
      assert.deepEqual(list.body.items, []);
      assert.equal(list.body.available.length, 5);
    });

    it('applies a pack with blocked skills through the runbook path, setting per-archetype sets', async () => {
      const res = await req('POST', '/coworks/go-to-market/apply', { blocked_skills: ['claresia.gatespic.outbound-sequencer', 'claresia.exec.web-research'] });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.blocked_skills, ['claresia.exec.web-research', 'claresia.gatespic.outbound-sequencer']);
      const sales = await req('GET', '/archetypes/sales');
      assert.equal(sales.status, 200);
      assert.equal(sales.body.source, 'go-to-market');
      assert.ok(sales.body.skills.includes('claresia.gatespic.pipeline-hygiene'));
      assert.ok(!sales.body.skills.includes('claresia.gatespic.outbound-sequencer'), 'blocked by policy');
      assert.deepEqual(sales.body.skills, [...sales.body.skills].sort());
      const marketing = await req('GET', '/archetypes/marketing');
      assert.ok(!marketing.body.skills.includes('claresia.exec.web-research'));
      assert.equal((await req('GET', '/archetypes/eng')).status, 404, 'the pack does not cover eng');
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'skill.entitlement_changed' });
      assert.deepEqual(events.map((e: any) => e.subject).sort(), ['marketing', 'sales', 'support']);
      // One request for the three changes (the distribution worker may already have completed it).
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id }), 1);
      // Applying it again with the same list changes no set.
      const again = await req('POST', '/coworks/go-to-market/apply', { blocked_skills: ['claresia.exec.web-research', 'claresia.gatespic.outbound-sequencer'] });
      assert.equal(again.status, 200);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'skill.entitlement_changed' }), 3);
    });

    it('manages a cowork through generic CRUD by pack name, with a stable read-back', async () => {
      const def = resourceByName('cowork');
      const config = { pack: 'builders', blocked_skills: ['claresia.codewright.migration-helper'] };
      const created = await req('POST', '/coworks', config);
      assert.equal(created.status, 201, created.text);
      const read = await req('GET', '/coworks/builders');
      // What a provider plans (the normalised config) equals what it reads back: an empty re-plan.
      for (const [k, v] of Object.entries(config)) assert.deepEqual(read.body[k], normalizeValue(def.attributes[k]!, v));
      const many = await req('GET', '/coworks?id=builders&id=go-to-market&id=enterprise');
      assert.deepEqual(many.body.items.map((c: any) => c.pack), ['builders', 'go-to-market']);
      const patched = await req('PATCH', '/coworks/builders', { blocked_skills: [] });
      assert.equal(patched.status, 200);
      assert.ok((await req('GET', '/archetypes/eng')).body.skills.includes('claresia.codewright.migration-helper'));
      const immut = await req('PATCH', '/coworks/builders', { pack: 'starter' });
      assert.equal(immut.status, 400);
      assert.equal(immut.body.error.code, 'immutable_field');
      const dup = await req('POST', '/coworks', { pack: 'builders' });
      assert.equal(dup.status, 409);
      assert.equal((await req('DELETE', '/coworks/builders')).status, 204);
      assert.equal((await req('GET', '/coworks/builders')).status, 404);
      assert.equal((await req('GET', '/archetypes/eng')).status, 404, 'the sets the pack produced are gone');
      assert.equal((await req('DELETE', '/coworks/builders')).status, 404);
    });

    it('replaces one archetype set by hand; the set survives pack re-application and refuses blocked skills', async () => {
      const put = await req('PUT', '/archetypes/sales', { skills: ['claresia.gatespic.call-recap', 'claresia.core.email-drafting'] });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body, { archetype: 'sales', skills: ['claresia.core.email-drafting', 'claresia.gatespic.call-recap'], source: 'manual' });
      await req('POST', '/coworks/go-to-market/apply', { blocked_skills: ['claresia.exec.web-research'] });
      assert.equal((await req('GET', '/archetypes/sales')).body.source, 'manual');
      const blocked = await req('PUT', '/archetypes/sales', { skills: ['claresia.exec.web-research'] });
      assert.equal(blocked.status, 400);
      assert.equal(blocked.body.error.code, 'blocked_skill');
      assert.equal(blocked.body.error.field, 'skills', 'a set: named by the skill, not an index into the sorted list');
      assert.match(blocked.body.error.message, /^skills: "claresia\.exec\.web-research" is blocked by policy/);
      const clash = await req('PATCH', '/coworks/go-to-market', { blocked_skills: ['claresia.gatespic.call-recap'] });
      assert.equal(clash.status, 409);
      // A set: named by field and value, no index (review r6 F10).
      assert.equal(clash.body.error.field, 'blocked_skills');
      assert.match(clash.body.error.message, /^blocked_skills: "claresia\.gatespic\.call-recap" is granted to archetype sales/);
      // Deleting the managed set hands sales back to the pack.
      assert.equal((await req('DELETE', '/archetypes/sales')).status, 204);
      assert.equal((await req('GET', '/archetypes/sales')).body.source, 'go-to-market');
      // Generic CRUD on an archetype no pack covers: create, list by id, 409 twice, delete, 404.
      const c = await req('POST', '/archetypes', { archetype: 'legal', skills: ['claresia.counsel.contract-review'] });
      assert.equal(c.status, 201);
      assert.equal((await req('POST', '/archetypes', { archetype: 'legal', skills: [] })).status, 409);
      const many = await req('GET', '/archetypes?id=legal&id=sales&id=eng');
      assert.deepEqual(many.body.items.map((e: any) => e.archetype), ['legal', 'sales']);
      assert.equal((await req('DELETE', '/archetypes/legal')).status, 204);
      assert.equal((await req('GET', '/archetypes/legal')).status, 404);
    });

    it('rejects an unknown pack or skill with the field named, changing nothing', async () => {
      const before = await state();
      const cases: Array<[string, string, unknown, number, string, string]> = [
        ['POST', '/coworks', { pack: 'platinum' }, 400, 'pack', 'unknown_pack'],
        ['POST', '/coworks', { pack: 'Bad Pack' }, 400, 'pack', 'invalid_value'],
        ['POST', '/coworks/platinum/apply', {}, 404, 'pack', 'not_found'],
        ['POST', '/coworks', { pack: 'starter', blocked_skills: ['claresia.core.meeting-notes', 'claresia.nope.nothing'] }, 400, 'blocked_skills', 'unknown_skill'],
        ['POST', '/archetypes', { archetype: 'wizard', skills: [] }, 400, 'archetype', 'invalid_value'],
        ['POST', '/archetypes', { archetype: 'eng', skills: ['claresia.codewright.code-review', 'claresia.made.up'] }, 400, 'skills', 'unknown_skill'],
        // Not a skill id at all: refused by its shape, as terraform plan and Pulumi refuse it.
        ['POST', '/archetypes', { archetype: 'eng', skills: ['claresia.codewright.code-review', 'made.up'] }, 400, 'skills[1]', 'invalid_value'],
        ['POST', '/coworks', { pack: 'starter', blocked_skills: ['Claresia.Exec.Web Research'] }, 400, 'blocked_skills[0]', 'invalid_value'],
        ['PUT', '/archetypes/eng', { skills: 'claresia.codewright.code-review' }, 400, 'skills', 'invalid_type'],
        ['PUT', '/archetypes/wizard', { skills: [] }, 404, 'archetype', 'not_found'],
        ['POST', '/distribution:republish', { reason: 7 }, 400, 'reason', 'invalid_type'],
      ];
      for (const [m, p, body, status, field, code] of cases) {
        const res = await req(m, p, body);
        assert.equal(res.status, status, `${m} ${p}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
      }
      assert.deepEqual(await state(), before);
    });

    // Coalescing while a request is pending is in distribution.test.ts, where a failing platform keeps one pending.
    it('records a republish request, which the distribution worker completes', async () => {
      const a = await req('POST', '/distribution:republish', { reason: 'new connector' });
      assert.equal(a.status, 202, a.text);
      assert.equal(a.body.status, 'pending');
      await until('completed', async () => (await cp.db('distribution_requests').where({ id: a.body.id }).first()).status === 'completed');
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'distribution.republish_requested' }), 1);
    });

    it('keeps tenants apart', async () => {
      const other = await cp.createTenant();
      assert.deepEqual((await req('GET', '/coworks', undefined, other)).body.items, []);
      assert.equal((await req('GET', '/archetypes/sales', undefined, other)).status, 404);
      assert.equal((await req('POST', '/coworks', { pack: 'go-to-market' }, other)).status, 201, 'the same pack applies independently');
    });
  });
}
