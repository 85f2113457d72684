import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until } from '../support/until.js';

const HEADER = 'email,first_name,last_name,title,department,manager_email';
const csv = (lines: string[]) => [HEADER, ...lines].join('\n') + '\n';

for (const kind of dbKinds()) {
  describe(`roster writers racing [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const post = (body: string) => cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: body, headers: { 'Content-Type': 'text/csv' } });

    /** Sessions of the control plane's database waiting on a lock (a row, the tenant, an advisory lock). */
    const waiting = async () =>
      Number(
        ((await cp.db.raw("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")) as { rows: Array<{ n: string }> })
          .rows[0]!.n,
      );

    /**
     * Runs `race` while a transaction of the test's own holds `hold`, and lets it go once
     * `blocked` sessions are queued behind it: every writer has then done whatever it does before
     * its first wait, which is where the race used to be.
     */
    async function whileHeld<T>(hold: (trx: Knex.Transaction) => Promise<unknown>, blocked: number, race: () => Promise<T>): Promise<T> {
      const trx = await cp.db.transaction();
      let running: Promise<T> | undefined;
      try {
        await hold(trx);
        running = race();
        await until(`${blocked} writers waiting on a lock`, async () => (await waiting()) >= blocked);
      } finally {
        await trx.commit();
      }
      return running!;
    }

    before(async function () {
      // The embedded database has one connection: its transactions never overlap, so nothing races.
      if (kind !== 'pg') this.skip();
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('four imports of the same file at once: the rows are counted created once, and every event names a stored member', async () => {
      const lines = Array.from({ length: 300 }, (_, i) => `race${i}@acme.example,Race,Number ${i},Software Engineer,Engineering,`);
      const file = csv(lines);
      // Holding the tenant row blocks each import at its first insert (the foreign-key check),
      // after it has looked up which members exist.
      const results = await whileHeld((trx) => trx('tenants').where({ id: t.id }).forUpdate().first('id'), 4, () => Promise.all([1, 2, 3, 4].map(() => post(file))));
      for (const r of results) assert.equal(r.status, 200, r.text);
      assert.deepEqual(results.map((r) => r.body.created).sort(), [0, 0, 0, 300]);
      assert.deepEqual(results.map((r) => r.body.unchanged).sort(), [0, 300, 300, 300]);
      assert.equal(await cp.count('roster_members', { tenant_id: t.id }), 300);

      const events = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.archetype_assigned' }).select('subject')) as Array<{ subject: string }>;
      assert.equal(events.length, 300, 'one assignment per member');
      const stored = new Set(((await cp.db('roster_members').where({ tenant_id: t.id }).select('id')) as Array<{ id: string }>).map((m) => m.id));
      assert.deepEqual(events.filter((e) => !stored.has(e.subject)), [], 'no event about a member id that was never stored');
      const imports = (await cp.db('roster_imports').where({ tenant_id: t.id }).select('created')) as Array<{ created: number }>;
      assert.deepEqual(imports.map((i) => Number(i.created)).sort(), [0, 0, 0, 300]);
    });

    it('an import racing an archetype override keeps the override deciding the archetype', async () => {
      await post(csv(['dana@acme.example,Dana,Scully,Special Agent,,']));
      const m = (await cp.request('GET', '/api/v1/roster/members/dana@acme.example', { token: t.token })).body;
      // Stands for a PUT .../archetype in flight: the row locked and changed, not yet committed.
      const res = await whileHeld(
        (trx) => trx('roster_members').where({ tenant_id: t.id, id: m.id }).update({ override_archetype: 'ops', archetype: 'ops', updated_at: new Date() }),
        1,
        () => post(csv(['dana@acme.example,Dana,Scully,Senior Software Engineer,Engineering,'])),
      );
      assert.equal(res.status, 200, res.text);
      const after = (await cp.request('GET', '/api/v1/roster/members/dana@acme.example', { token: t.token })).body;
      assert.deepEqual([after.override_archetype, after.archetype, after.classified_archetype, after.title], ['ops', 'ops', 'eng', 'Senior Software Engineer']);
    });

    it('a SCIM roster sync and a CSV import at once both finish, one after the other', async () => {
      const dir = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta' } });
      assert.equal(dir.status, 201, dir.text);
      const scim = (path: string, body: unknown) =>
        cp.request('POST', `/scim/v2/${dir.body.directory_id ?? dir.body.id}${path}`, { token: dir.body.bearer_token, body, headers: { 'Content-Type': 'application/scim+json' } });
      for (let i = 0; i < 20; i++) {
        const u = await scim('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `scim${i}@acme.example`, name: { givenName: 'S', familyName: `${i}` }, title: 'Account Executive', active: true });
        assert.equal(u.status, 201, u.text);
      }
      const file = csv(Array.from({ length: 20 }, (_, i) => `scim${i}@acme.example,S,${i},Account Executive,,`));
      const [sync, imp] = await whileHeld(
        (trx) => trx('tenants').where({ id: t.id }).forUpdate().first('id'),
        2,
        () => Promise.all([cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token, body: {} }), post(file)]),
      );
      assert.ok(sync.status === 200 || sync.status === 201, sync.text);
      assert.equal(imp.status, 200, imp.text);
      const created = Number(imp.body.created) + Number(sync.body.roster.created);
      assert.equal(created, 20, `${imp.text}\n${sync.text}`);
      const events = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.archetype_assigned' }).whereRaw("data->>'email' like 'scim%'").select('subject')) as Array<{ subject: string }>;
      assert.equal(events.length, 20);
    });
  });
}
