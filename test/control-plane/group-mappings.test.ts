import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { makeDirectory, type Directory } from './scim/helpers.js';
import { greenSamlConnection, provision, signIn } from './rbac-support.js';

const PATH = '/api/v1/identity/group-mappings';

for (const kind of dbKinds()) {
  describe(`group mappings [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;

    before(async function () {
      this.timeout(180_000);
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
    });

    const req = (method: string, path: string, body?: unknown, token = t.token) => cp.request(method, path, { token, ...(body === undefined ? {} : { body }) });
    const state = async () => ({ rows: await cp.count('group_mappings', { tenant_id: t.id }), events: await cp.count('governance_events', { tenant_id: t.id }) });

    it('has the four defaults without configuration, created once and recorded', async () => {
      const list = await req('GET', PATH);
      assert.equal(list.status, 200, list.text);
      const byGroup = Object.fromEntries(list.body.items.map((m: any) => [m.group, [m.role, m.archetype]]));
      assert.deepEqual(byGroup, {
        'claresia-admins': ['tenant_admin', null],
        'claresia-auditors': ['auditor', null],
        'claresia-users': ['member', null],
        'claresia-eng-pilot': ['member', 'eng'],
      });
      assert.equal(list.body.next_cursor, null);
      const again = await req('GET', PATH);
      assert.deepEqual(again.body, list.body, 'created once');
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.group_mapping_created' });
      assert.equal(events.length, 4);
      assert.ok(events.every((e: any) => e.data.default === true));
    });

    it('creates, reads (also many ids in one list), updates and deletes by id; the group is stored lowercased', async () => {
      const created = await req('POST', PATH, { group: ' Claresia-Data-Pilot ', role: 'member', archetype: 'data' });
      assert.equal(created.status, 201, created.text);
      const m = created.body;
      assert.match(m.id, /^gm_[0-9a-f]{16}$/);
      assert.equal(m.group, 'claresia-data-pilot');
      assert.equal(created.headers.get('location'), `${PATH}/${m.id}`);
      const read = await req('GET', `${PATH}/${m.id}`);
      assert.deepEqual(read.body, m);
      const many = await req('GET', `${PATH}?id=${m.id}&id=gm_0000000000000000`);
      assert.deepEqual(many.body.items, [m]);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.group_mapping_created', subject: m.id }).first();
      assert.deepEqual(ev.data, { group: 'claresia-data-pilot', role: 'member', archetype: 'data' });

      const up = await req('PATCH', `${PATH}/${m.id}`, { role: 'auditor', archetype: null });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual([up.body.group, up.body.role, up.body.archetype], ['claresia-data-pilot', 'auditor', null]);
      assert.deepEqual((await req('GET', `${PATH}/${m.id}`)).body, up.body);
      const changed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.group_mapping_updated', subject: m.id }).first();
      assert.deepEqual(changed.data.changes, { role: { from: 'member', to: 'auditor' }, archetype: { from: 'data', to: null } });
      const before = await state();
      const same = await req('PATCH', `${PATH}/${m.id}`, { role: 'auditor' });
      assert.equal(same.status, 200);
      assert.deepEqual(await state(), before, 'no change, no write, no event');

      assert.equal((await req('DELETE', `${PATH}/${m.id}`)).status, 204);
      assert.equal((await req('GET', `${PATH}/${m.id}`)).status, 404);
      assert.equal((await req('DELETE', `${PATH}/${m.id}`)).status, 404);
      assert.ok(await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.group_mapping_deleted', subject: m.id }).first());
    });

    it('a deleted default stays deleted', async () => {
      const list = await req('GET', PATH);
      const auditors = list.body.items.find((m: any) => m.group === 'claresia-auditors');
      assert.equal((await req('DELETE', `${PATH}/${auditors.id}`)).status, 204);
      const after = await req('GET', PATH);
      assert.equal(after.body.items.length, list.body.items.length - 1);
      assert.ok(!after.body.items.some((m: any) => m.group === 'claresia-auditors'));
      const back = await req('POST', PATH, { group: 'claresia-auditors', role: 'auditor' });
      assert.equal(back.status, 201);
    });

    it('refuses bad input with 400 naming the field, a duplicate group with 409, and changes nothing', async () => {
      const existing = (await req('GET', PATH)).body.items.find((m: any) => m.group === 'claresia-users');
      const cases: Array<[string, string, unknown, number, string, string]> = [
        ['POST', PATH, { group: 'engineering', role: 'member' }, 400, 'group', 'invalid_value'],
        ['POST', PATH, { group: 'claresia-', role: 'member' }, 400, 'group', 'invalid_value'],
        ['POST', PATH, { group: 'claresia-x', role: 'owner' }, 400, 'role', 'invalid_value'],
        ['POST', PATH, { group: 'claresia-x', role: 'member', archetype: 'wizard' }, 400, 'archetype', 'invalid_value'],
        ['POST', PATH, { role: 'member' }, 400, 'group', 'missing_field'],
        ['POST', PATH, { group: 'claresia-x', role: 'member', colour: 'red' }, 400, 'colour', 'unknown_field'],
        ['POST', PATH, { group: 'CLARESIA-USERS', role: 'auditor' }, 409, 'group', 'conflict'],
        ['PATCH', `${PATH}/${existing.id}`, { group: 'all-employees' }, 400, 'group', 'invalid_value'],
        ['PATCH', `${PATH}/${existing.id}`, { role: null }, 400, 'role', 'invalid_type'],
        ['PATCH', `${PATH}/${existing.id}`, { archetype: 'wizard' }, 400, 'archetype', 'invalid_value'],
        ['PATCH', `${PATH}/${existing.id}`, { group: 'claresia-admins' }, 409, 'group', 'conflict'],
      ];
      for (const [method, path, body, status, field, code] of cases) {
        const before = await state();
        const res = await req(method, path, body);
        assert.equal(res.status, status, `${method} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.error.field, field, JSON.stringify(body));
        assert.equal(res.body.error.code, code, JSON.stringify(body));
        assert.deepEqual(await state(), before, `${JSON.stringify(body)} changed nothing`);
      }
      const unknown = await req('POST', PATH, { group: 'engineering', role: 'member' });
      assert.equal(unknown.body.error.message, 'group must be an RBAC group: claresia- and a name, such as claresia-data-pilot');
      assert.equal((await req('GET', `${PATH}/${existing.id}`)).body.role, 'member');
    });

    it('creates the defaults once when the first calls of a tenant race', async () => {
      const fresh = await cp.createTenant();
      const answers = await Promise.all(Array.from({ length: 6 }, () => req('GET', PATH, undefined, fresh.token)));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
      assert.ok(answers.every((a) => a.body.items.length === 4));
      assert.equal(await cp.count('group_mappings', { tenant_id: fresh.id }), 4);
      assert.equal(await cp.count('governance_events', { tenant_id: fresh.id, type: 'rbac.group_mapping_created' }), 4);
    });

    it('keeps tenants apart', async () => {
      const other = await cp.createTenant();
      const mine = (await req('GET', PATH)).body.items[0];
      assert.equal((await req('GET', `${PATH}/${mine.id}`, undefined, other.token)).status, 404);
      assert.equal((await req('DELETE', `${PATH}/${mine.id}`, undefined, other.token)).status, 404);
      assert.ok(!(await req('GET', `${PATH}?id=${mine.id}`, undefined, other.token)).body.items.length);
    });
  });

  describe(`group mappings change access [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;
    let dir: Directory;
    let conn: string;

    before(async function () {
      this.timeout(180_000);
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      dir = await makeDirectory(cp, t, 'okta');
      conn = await greenSamlConnection(cp, t, idp);
      await provision(cp, dir, [{ email: 'sam@acme.example', title: 'Software Engineer' }, { email: 'kim@acme.example', title: 'Software Engineer' }], {
        'claresia-users': ['sam@acme.example'],
        'claresia-contractors': ['kim@acme.example'],
      });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    it('mapping a group gives its members a role; changing the role applies to the next call; deleting it revokes their sessions', async () => {
      assert.equal((await signIn(cp, idp, conn, 'kim@acme.example')).body.error.code, 'no_role', 'claresia-contractors is not mapped yet');
      const m = await cp.request('POST', PATH, { token: t.token, body: { group: 'claresia-contractors', role: 'member' } });
      assert.equal(m.status, 201);
      const kim = await signIn(cp, idp, conn, 'kim@acme.example');
      assert.equal(kim.status, 200, kim.text);
      const token = kim.body.access_token;
      assert.equal((await cp.request('GET', '/api/v1/roster', { token })).status, 403);
      assert.equal((await cp.request('PATCH', `${PATH}/${m.body.id}`, { token: t.token, body: { role: 'auditor' } })).status, 200);
      assert.equal((await cp.request('GET', '/api/v1/roster', { token })).status, 200, 'auditor from the next call on');
      assert.equal((await cp.request('DELETE', `${PATH}/${m.body.id}`, { token: t.token })).status, 204);
      const res = await cp.request('GET', '/api/v1/me', { token });
      assert.equal(res.status, 401);
      const evs = await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.access_revoked' });
      assert.equal(evs.length, 1, JSON.stringify(evs.map((e: any) => e.data)));
      const ev = evs[0];
      assert.equal(ev.data.reason, 'mapping_changed');
      assert.equal(ev.data.mapping_id, m.body.id);
      assert.equal(ev.data.sessions_revoked, 1);
      assert.equal(await cp.count('distribution_requests', { tenant_id: t.id, id: ev.data.distribution_request }), 1, 'a publish is queued');
      // sam, in a mapped group all along, is unaffected.
      assert.equal((await signIn(cp, idp, conn, 'sam@acme.example')).status, 200);
    });
  });
}
