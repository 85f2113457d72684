import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, PATCH_OP, scim, user } from './helpers.js';

// An IdP's initial push: many writes of one tenant at once, which the control plane commits in
// groups. Each request must still get exactly the answer it would have got alone.
for (const kind of dbKinds()) {
  describe(`scim bursts of concurrent writes [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('concurrent creates: duplicates and bad bodies are refused one by one, the rest created once, the chain intact', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta');
      const x = scim(cp, d);
      const bodies: unknown[] = Array.from({ length: 30 }, (_, i) => user(`burst${i}@acme.example`));
      bodies[7] = user('BURST3@acme.example'); // the same userName as #3, in other case
      bodies[12] = { ...user('bad@acme.example'), timezone: 'Mars/Olympus' };
      bodies[20] = user('burst19@acme.example'); // the same as #19
      const answers = await Promise.all(bodies.map((b) => x('POST', '/Users', b)));
      const statuses = answers.map((a) => a.status);
      const refused = statuses.map((s, i) => [s, i] as const).filter(([s]) => s !== 201);
      assert.equal(refused.length, 3, JSON.stringify(refused));
      assert.equal(answers[12]!.status, 400);
      assert.equal(answers[12]!.body.scimType, 'invalidValue');
      // Of each duplicate pair exactly one won, and the loser was told why.
      for (const [i, j] of [[3, 7], [19, 20]] as const) {
        assert.deepEqual([answers[i]!.status, answers[j]!.status].sort(), [201, 409]);
        assert.equal((answers[i]!.status === 409 ? answers[i] : answers[j])!.body.scimType, 'uniqueness');
      }
      const created = answers.filter((a) => a.status === 201);
      assert.equal(new Set(created.map((a) => a.body.id)).size, 27);
      for (const a of created) {
        assert.match(a.headers.get('location') ?? '', new RegExp(`/Users/${a.body.id}$`));
        const got = await x('GET', `/Users/${a.body.id}`);
        assert.equal(got.status, 200);
        assert.equal(got.body.userName, a.body.userName);
        assert.equal(got.headers.get('etag'), a.headers.get('etag'));
      }
      assert.equal(await cp.count('scim_users', { directory_id: d.id }), 27);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'scim.user_created' }), 27);
      const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(v.body.ok, true, JSON.stringify(v.body));
      const sync = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(sync.body.users.created, 27);
      assert.equal(sync.body.errors.total, 3);
      assert.deepEqual(sync.body.errors.items.map((e: any) => e.status).sort(), [400, 409, 409]);
    });

    it('concurrent creates, updates and de-provisionings of one tenant across two directories each land once', async () => {
      const t = await cp.createTenant();
      const [okta, entra] = [await makeDirectory(cp, t, 'okta'), await makeDirectory(cp, t, 'entra')];
      const [o, e] = [scim(cp, okta), scim(cp, entra)];
      const first = await Promise.all(Array.from({ length: 10 }, (_, i) => o('POST', '/Users', user(`mix${i}@acme.example`))));
      assert.ok(first.every((a) => a.status === 201));
      const mixed = await Promise.all([
        ...first.slice(0, 5).map((a) => o('PATCH', `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })),
        ...first.slice(5).map((a) => o('PATCH', `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Engineer' }] })),
        // The same userNames in another directory of the same tenant are other people.
        ...Array.from({ length: 10 }, (_, i) => e('POST', '/Users', user(`mix${i}@acme.example`))),
      ]);
      assert.deepEqual(mixed.map((a) => a.status), [...Array(10).fill(200), ...Array(10).fill(201)]);
      assert.equal(await cp.count('scim_users', { directory_id: entra.id }), 10);
      assert.equal(await cp.count('scim_users', { directory_id: okta.id, active: false }), 5);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'user_deactivated' }), 5);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'scim.user_updated' }), 5);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'scim.user_created' }), 20);
      const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(v.body.ok, true, JSON.stringify(v.body));
    });
  });
}
