import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { onScimChange, type ScimChange } from '../../../control-plane/src/scim/hooks.js';
import { CORE_GROUP, CORE_USER, ENTERPRISE, makeDirectory, PATCH_OP, scim, scimCounts, user, type Directory } from './helpers.js';

const full = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [CORE_USER, ENTERPRISE],
  externalId: `ext-${userName}`,
  userName,
  name: { givenName: 'Grace', familyName: 'Hopper', formatted: 'Grace Hopper' },
  displayName: 'Grace Hopper',
  emails: [
    { value: 'grace@home.example', type: 'home' },
    { value: userName, type: 'work', primary: true },
  ],
  phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
  addresses: [{ type: 'work', streetAddress: '1 Navy Way', locality: 'Arlington', region: 'VA', postalCode: '22201', country: 'US', primary: true }],
  active: true,
  title: 'Rear Admiral',
  preferredLanguage: 'en-US',
  timezone: 'America/New_York',
  password: 'never-stored-9f8e7d',
  [ENTERPRISE]: { employeeNumber: 'E-1906', costCenter: 'CC-42', department: 'Computing', manager: { value: 'usr_000000000000000000000001' } },
  ...extra,
});

for (const kind of dbKinds()) {
  describe(`scim users and groups [${kind}]`, function () {
    let cp: TestControlPlane;
    let d: Directory;
    let s: ReturnType<typeof scim>;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      d = await makeDirectory(cp, await cp.createTenant());
      s = scim(cp, d);
    });
    after(async () => cp?.close());

    it('serves ServiceProviderConfig, Schemas and ResourceTypes that tell the truth', async () => {
      const spc = await s('GET', '/ServiceProviderConfig');
      assert.equal(spc.status, 200);
      assert.match(spc.headers.get('content-type')!, /^application\/scim\+json/);
      assert.deepEqual([spc.body.patch.supported, spc.body.filter.supported, spc.body.bulk.supported, spc.body.sort.supported, spc.body.etag.supported, spc.body.changePassword.supported], [true, true, false, false, true, false]);
      assert.equal(spc.body.filter.maxResults, 1000);
      const sortBy = await s('GET', '/Users?sortBy=userName');
      assert.equal(sortBy.status, 400, 'sort is declared unsupported and refused');
      const schemas = await s('GET', '/Schemas');
      assert.deepEqual(schemas.body.Resources.map((x: any) => x.id), [CORE_USER, ENTERPRISE, CORE_GROUP]);
      const userSchema = schemas.body.Resources[0];
      const userName = userSchema.attributes.find((a: any) => a.name === 'userName');
      assert.deepEqual([userName.required, userName.caseExact, userName.uniqueness], [true, false, 'server']);
      assert.ok(!userSchema.attributes.some((a: any) => a.name === 'password'), 'no password: this server never stores one');
      assert.equal((await s('GET', `/Schemas/${ENTERPRISE}`)).body.name, 'EnterpriseUser');
      assert.equal((await s('GET', '/Schemas/urn:nope')).status, 404);
      const types = await s('GET', '/ResourceTypes');
      assert.deepEqual(types.body.Resources.map((x: any) => [x.name, x.endpoint, x.schemaExtensions.length]), [['User', '/Users', 1], ['Group', '/Groups', 0]]);
      assert.equal((await s('GET', '/ResourceTypes/Group')).body.schema, CORE_GROUP);
    });

    it('creates a user with every attribute of the reference table and reads it back; plain columns for other modules', async () => {
      const res = await s('POST', '/Users', full('grace@navy.example'));
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.get('location'), `${d.endpoint}/Users/${res.body.id}`);
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.body.meta.version, 'W/"1"');
      assert.equal(res.body.password, undefined);
      const { password: _p, schemas: _s, ...sent } = full('grace@navy.example');
      for (const [k, v] of Object.entries(sent)) assert.deepEqual(res.body[k], v, k);
      const read = await s('GET', `/Users/${res.body.id}`);
      assert.deepEqual(read.body, res.body);
      const row = await cp.db('scim_users').where({ id: res.body.id }).first();
      assert.deepEqual(
        [row.user_name, row.email, row.title, row.department, row.given_name, row.family_name, row.employee_number, row.manager_id, row.cost_center, row.timezone, row.phone, row.active],
        ['grace@navy.example', 'grace@navy.example', 'Rear Admiral', 'Computing', 'Grace', 'Hopper', 'E-1906', 'usr_000000000000000000000001', 'CC-42', 'America/New_York', '+1 555 0100', true],
      );
      assert.ok(!JSON.stringify(row).includes('never-stored-9f8e7d'), 'the password is dropped');
      const ev = await cp.db('governance_events').where({ tenant_id: d.tenant.id, type: 'scim.user_created', subject: res.body.id }).first();
      assert.equal(ev.actor, 'okta:scim');
      assert.ok(!JSON.stringify(ev).includes('never-stored'));
    });

    it('bad input gets the right status and scimType and changes nothing', async () => {
      const existing = await s('POST', '/Users', user('taken@acme.example'));
      const other = await makeDirectory(cp, await cp.createTenant());
      const foreign = await scim(cp, other)('POST', '/Users', user('foreign@acme.example'));
      const foreignGroup = await scim(cp, other)('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'foreign' });
      const before = await scimCounts(cp);
      const cases: Array<[string, string, unknown, number, string | undefined, RegExp?]> = [
        ['POST', '/Users', '{"userName": "x",', 400, 'invalidSyntax', /not valid JSON/],
        ['POST', '/Users', { schemas: [CORE_USER, 'urn:acme:custom:1.0:User'], userName: 'x' }, 400, 'invalidSyntax', /urn:acme:custom/],
        ['POST', '/Users', { schemas: [CORE_USER], 'urn:acme:custom:1.0:User': { x: 1 }, userName: 'x' }, 400, 'invalidSyntax'],
        ['POST', '/Users', { schemas: [CORE_USER] }, 400, 'invalidValue', /userName is required/],
        ['POST', '/Users', user('TAKEN@acme.example'), 409, 'uniqueness', /already taken/],
        ['POST', '/Users', user('tz@acme.example', { timezone: 'Mars/Base' }), 400, 'invalidValue', /timezone/],
        ['POST', '/Users', user('b@acme.example', { active: 'perhaps' }), 400, 'invalidValue', /active/],
        ['POST', '/Users', user('c@acme.example', { name: 'Grace' }), 400, 'invalidValue', /name must be an object/],
        ['PATCH', `/Users/${existing.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'shoeSize', value: 1 }] }, 400, 'invalidPath', /shoeSize/],
        ['PATCH', `/Users/${existing.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'usr_1' }] }, 400, 'mutability', /read-only/],
        ['PATCH', `/Users/${existing.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }, { op: 'replace', path: 'groups', value: [] }] }, 400, 'mutability'],
        ['PATCH', `/Users/${existing.body.id}`, { Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, 400, 'invalidSyntax', /PatchOp/],
        ['PATCH', `/Users/${existing.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq "fax"].display', value: 'x' }, { op: 'remove' }] }, 400, 'noTarget'],
        ['PUT', `/Users/${existing.body.id}`, user('grace@navy.example'), 409, 'uniqueness'],
        ['GET', '/Users?filter=' + encodeURIComponent('userName eq'), undefined, 400, 'invalidFilter'],
        ['GET', '/Users?filter=' + encodeURIComponent('userName eq "x"') + '&count=abc', undefined, 400, 'invalidValue', /count/],
        ['GET', `/Users/${foreign.body.id}`, undefined, 404, undefined],
        ['PATCH', `/Users/${foreign.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }, 404, undefined],
        ['PUT', `/Users/${foreign.body.id}`, user('foreign@acme.example'), 404, undefined],
        ['DELETE', `/Users/${foreign.body.id}`, undefined, 404, undefined],
        ['DELETE', `/Groups/${foreignGroup.body.id}`, undefined, 404, undefined],
        ['POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'g', members: [{ value: foreign.body.id }] }, 400, 'invalidValue', /no user/],
        ['POST', '/Groups', { schemas: [CORE_GROUP] }, 400, 'invalidValue', /displayName is required/],
        ['DELETE', '/Users/%00', undefined, 404, undefined],
        ['GET', '/Nope', undefined, 404, undefined],
      ];
      for (const [method, path, body, status, scimType, detail] of cases) {
        const r = await s(method, path, body);
        const what = `${method} ${path} ${JSON.stringify(body)?.slice(0, 120)}`;
        assert.equal(r.status, status, `${what}: ${r.text}`);
        assert.equal(r.body.status, String(status), what);
        assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], what);
        assert.equal(r.body.scimType, scimType, `${what}: ${r.text}`);
        if (detail) assert.match(r.body.detail, detail, what);
        assert.match(r.headers.get('content-type')!, /application\/scim\+json/);
      }
      assert.deepEqual(await scimCounts(cp), before);
      assert.equal((await cp.db('scim_users').where({ id: foreign.body.id }).first()).active, true);
    });

    it('filters in SQL: every operator, logic, value paths, extension attributes; stable pages; attribute selection', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'entra');
      const x = scim(cp, dir);
      const people = [
        ['ada@acme.example', 'Vice President Engineering', 'Engineering', true],
        ['bob@acme.example', 'Engineer', 'Engineering', true],
        ['cyd@acme.example', 'Vice President Sales', 'Sales', false],
        ['dee@acme.example', null, 'Sales', true],
        ['eve@other.example', 'Staff Engineer', null, true],
      ] as const;
      const ids: string[] = [];
      for (const [u, title, dept, active] of people) {
        const r = await x('POST', '/Users', user(u, { ...(title ? { title } : {}), active, ...(dept ? { [ENTERPRISE]: { department: dept } } : {}) }));
        assert.equal(r.status, 201, r.text);
        ids.push(r.body.id);
      }
      const q = async (filter: string, extra = '') => {
        const r = await x('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`);
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return r.body.Resources.map((u: any) => u.userName.split('@')[0]);
      };
      assert.deepEqual(await q('userName eq "ADA@ACME.EXAMPLE"'), ['ada']);
      assert.deepEqual(await q('title sw "vice president"'), ['ada', 'cyd']);
      assert.deepEqual(await q('title ew "engineer"'), ['bob', 'eve']);
      assert.deepEqual(await q('title co "ENGINEER"'), ['ada', 'bob', 'eve']);
      assert.deepEqual(await q('title ne "Engineer"'), ['ada', 'cyd', 'dee', 'eve'], 'ne matches users without a title');
      assert.deepEqual(await q('title pr'), ['ada', 'bob', 'cyd', 'eve']);
      assert.deepEqual(await q('not (title pr)'), ['dee']);
      // Under not, a user without the attribute counts as not matching what is inside.
      assert.deepEqual(await q('not (title sw "vice")'), ['bob', 'dee', 'eve']);
      assert.deepEqual(await q('not (title eq "Engineer" or department eq "Sales")'), ['ada', 'eve']);
      assert.deepEqual(await q('not (not (title co "engineer"))'), ['ada', 'bob', 'eve']);
      assert.deepEqual(await q('not (active eq true)'), ['cyd']);
      assert.deepEqual(await q('not (emails[type eq "work" and value ew "@other.example"])'), ['ada', 'bob', 'cyd', 'dee']);
      assert.deepEqual(await q('not (meta.created lt "2000-01-01T00:00:00Z")'), ['ada', 'bob', 'cyd', 'dee', 'eve']);
      assert.deepEqual(await q('userName gt "c" and userName lt "e"'), ['cyd', 'dee']);
      assert.deepEqual(await q('userName ge "cyd@acme.example" and userName le "dee@acme.example"'), ['cyd', 'dee']);
      assert.deepEqual(await q('active eq false'), ['cyd']);
      assert.deepEqual(await q('department eq "sales" and active eq true'), ['dee']);
      assert.deepEqual(await q(`${ENTERPRISE}:department eq "Engineering" or title eq "staff engineer"`), ['ada', 'bob', 'eve']);
      assert.deepEqual(await q('emails[type eq "work" and value ew "@other.example"]'), ['eve']);
      assert.deepEqual(await q('emails.value co "ob@"'), ['bob']);
      assert.deepEqual(await q('(title sw "Vice" or title sw "Staff") and not (active eq false)'), ['ada', 'eve']);
      assert.deepEqual(await q(`id eq "${ids[3]}"`), ['dee']);
      assert.deepEqual(await q('meta.created gt "2000-01-01T00:00:00Z"'), ['ada', 'bob', 'cyd', 'dee', 'eve']);
      // Pages: stable creation order, 1-based startIndex, totalResults of the whole filter.
      const p2 = await x('GET', `/Users?filter=${encodeURIComponent('userName co "@"')}&startIndex=2&count=2`);
      assert.deepEqual([p2.body.totalResults, p2.body.startIndex, p2.body.itemsPerPage], [5, 2, 2]);
      assert.deepEqual(p2.body.Resources.map((u: any) => u.id), ids.slice(1, 3));
      // Past the end: no Resources, and still the total of the whole filter.
      const past = await x('GET', `/Users?filter=${encodeURIComponent('userName co "@"')}&startIndex=9&count=2`);
      assert.deepEqual([past.body.totalResults, past.body.startIndex, past.body.itemsPerPage, past.body.Resources.length], [5, 9, 0, 0]);
      const none = await x('GET', `/Users?filter=${encodeURIComponent('userName sw "nobody"')}`);
      assert.deepEqual([none.body.totalResults, none.body.Resources.length], [0, 0]);
      // A listed user carries the same meta as the user read alone (lists read times their own way).
      const one = await x('GET', `/Users/${ids[1]}`);
      assert.deepEqual(p2.body.Resources[0].meta, one.body.meta);
      const zero = await x('GET', '/Users?count=0');
      assert.deepEqual([zero.body.totalResults, zero.body.Resources.length], [5, 0]);
      const neg = await x('GET', '/Users?startIndex=-4&count=1');
      assert.equal(neg.body.Resources[0].id, ids[0]);
      const sel = await x('GET', `/Users/${ids[0]}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
      assert.deepEqual(Object.keys(sel.body).sort(), ['id', 'name', 'schemas', ENTERPRISE, 'userName'].sort());
      assert.deepEqual(sel.body.name, { givenName: 'Given' });
      const exc = await x('GET', `/Users?excludedAttributes=emails,meta,name.familyName&count=1`);
      assert.equal(exc.body.Resources[0].emails, undefined);
      assert.equal(exc.body.Resources[0].meta, undefined);
      assert.deepEqual(exc.body.Resources[0].name, { givenName: 'Given' });
      const search = await x('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'title sw "Vice"', count: 1 });
      assert.deepEqual([search.status, search.body.totalResults, search.body.Resources.length], [200, 2, 1]);
      // Another directory of the same tenant sees none of it.
      const sibling = await makeDirectory(cp, t, 'okta');
      assert.equal((await scim(cp, sibling)('GET', '/Users')).body.totalResults, 0);
    });

    it('answers a user with the same bytes from its stored rendering, from its document and after a change', async () => {
      const created = await s('POST', '/Users', full('rendered@acme.example'));
      const id = created.body.id;
      await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-rendered', members: [{ value: id }] });
      const filter = `/Users?filter=${encodeURIComponent('userName eq "rendered@acme.example"')}`;
      const broad = `/Users?filter=${encodeURIComponent('userName sw "rendered@"')}`;
      const answers = async () => {
        const one = await s('GET', `/Users/${id}`);
        const listed = await s('GET', filter);
        const counted = await s('GET', broad);
        // Key order too: the text of each answer, as a client reads it.
        return [one.text, JSON.stringify(listed.body.Resources[0]), JSON.stringify(counted.body.Resources[0])];
      };
      const stored = await answers();
      assert.equal(stored[1], stored[0]);
      assert.equal(stored[2], stored[0]);
      const body = JSON.parse(stored[0]!);
      const keys = Object.keys(body);
      assert.deepEqual([keys.slice(0, 4), keys.slice(-3)], [['schemas', 'id', 'externalId', 'userName'], [ENTERPRISE, 'groups', 'meta']]);
      assert.equal(body.groups[0].display, 'claresia-rendered');
      assert.equal(body.password, undefined);
      // A row from before the stored rendering (or another layout of it) is rendered from its document, alike.
      await cp.db('scim_users').where({ id }).update({ rendered: null, rendered_format: null });
      assert.deepEqual(await answers(), stored);
      await cp.db('scim_users').where({ id }).update({ rendered: '{"stale":true}', rendered_format: 0 });
      assert.deepEqual(await answers(), stored);
      // A change writes a new rendering: what is answered follows it.
      // Characters of two, three and four bytes in UTF-8 too: the answer is assembled as bytes.
      const title = 'Contre-amirale (retraitée) ⚓ 🚢';
      const patched = await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: title }, { op: 'replace', path: 'active', value: false }] });
      assert.equal(patched.status, 200);
      const after = await answers();
      assert.equal(after[1], after[0]);
      assert.equal(after[2], after[0]);
      assert.deepEqual([JSON.parse(after[0]!).title, JSON.parse(after[0]!).active], [title, false]);
      const listed = await s('GET', broad);
      assert.equal(listed.headers.get('content-length'), String(Buffer.byteLength(listed.text)), 'the length sent is the length of the bytes');
      assert.match(listed.headers.get('content-type') ?? '', /^application\/scim\+json; charset=utf-8$/);
      assert.equal(JSON.stringify(patched.body), after[0]);
      // attributes= still projects.
      const sel = await s('GET', `${filter}&attributes=title`);
      assert.deepEqual(Object.keys(sel.body.Resources[0]).sort(), ['id', 'schemas', 'title']);
    });

    it('concurrent creates of one userName: exactly one wins, the others get 409 uniqueness', async () => {
      const names = ['race@acme.example', 'RACE@acme.example', 'Race@Acme.example', 'race@ACME.EXAMPLE', 'rAce@acme.example'];
      const results = await Promise.all(names.map((n) => s('POST', '/Users', user(n))));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.scimType, 'uniqueness');
      assert.equal(await cp.count('scim_users', { directory_id: d.id, user_name_lower: 'race@acme.example' }), 1);
    });

    it('ETags: meta.version moves with each change; a stale If-Match is 412 and changes nothing', async () => {
      const u = await s('POST', '/Users', user('etag@acme.example'));
      const v1 = u.headers.get('etag')!;
      const ops = { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'One' }] };
      const p = await s('PATCH', `/Users/${u.body.id}`, ops, { 'If-Match': v1 });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.meta.version, 'W/"2"');
      const before = await scimCounts(cp);
      const stale = await s('PATCH', `/Users/${u.body.id}`, { ...ops, Operations: [{ op: 'replace', path: 'title', value: 'Two' }] }, { 'If-Match': v1 });
      assert.equal(stale.status, 412);
      assert.equal((await s('DELETE', `/Users/${u.body.id}`, undefined, { 'If-Match': v1 })).status, 412);
      assert.deepEqual(await scimCounts(cp), before);
      assert.equal((await s('GET', `/Users/${u.body.id}`)).body.title, 'One');
      const cached = await s('GET', `/Users/${u.body.id}`, undefined, { 'If-None-Match': 'W/"2"' });
      assert.equal(cached.status, 304, 'a current copy is not sent again');
      assert.equal((await s('GET', `/Users/${u.body.id}`, undefined, { 'If-None-Match': v1 })).status, 200);
      const same = await s('PATCH', `/Users/${u.body.id}`, ops, { 'If-Match': 'W/"2"' });
      assert.equal(same.body.meta.version, 'W/"2"', 'a PATCH that changes nothing keeps the version and writes no event');
      assert.deepEqual(await scimCounts(cp), before);
    });

    it('DELETE de-provisions (user_deactivated by <idp>:scim) and the user is gone for SCIM: 404 to every operation, in no list, filter or group; its userName free', async () => {
      const u = await s('POST', '/Users', user('leaver@acme.example'));
      const other = await s('POST', '/Users', user('stayer@acme.example'));
      const g = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'leavers-and-stayers', members: [{ value: u.body.id }, { value: other.body.id }] });
      assert.equal(g.status, 201, g.text);
      const del = await s('DELETE', `/Users/${u.body.id}`);
      assert.equal(del.status, 204, del.text);

      assert.equal((await s('GET', `/Users/${u.body.id}`)).status, 404);
      assert.equal((await s('DELETE', `/Users/${u.body.id}`)).status, 404, 'a second DELETE');
      const revive = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] });
      assert.equal(revive.status, 404, 'PATCH active=true does not bring it back');
      assert.equal((await s('PUT', `/Users/${u.body.id}`, user('leaver@acme.example'))).status, 404);
      const byName = await s('GET', `/Users?filter=${encodeURIComponent('userName eq "leaver@acme.example"')}`);
      assert.deepEqual([byName.status, byName.body.totalResults], [200, 0]);
      const all = await s('GET', '/Users?count=1000');
      assert.ok(!all.body.Resources.some((x: any) => x.id === u.body.id), 'not listed');
      assert.equal(all.body.totalResults, all.body.Resources.length);
      const group = await s('GET', `/Groups/${g.body.id}`);
      assert.deepEqual(group.body.members.map((m: any) => m.value), [other.body.id], 'out of its groups');
      assert.notEqual(group.body.meta.version, g.body.meta.version, "the group's version moved");
      const byMember = await s('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${u.body.id}"]`)}`);
      assert.equal(byMember.body.totalResults, 0);
      const readd = await s('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u.body.id }] }] });
      assert.equal(readd.status, 400, 'a deleted user cannot be a member again');
      assert.match(readd.body.detail, /no user/);

      // What other modules read: an inactive user, de-provisioned once, recorded.
      const row = await cp.db('scim_users').where({ id: u.body.id }).first();
      assert.equal(row.active, false);
      assert.ok(row.deactivated_at && row.deleted_at);
      const ev = await cp.db('governance_events').where({ tenant_id: d.tenant.id, type: 'user_deactivated', subject: u.body.id });
      assert.equal(ev.length, 1);
      assert.equal(ev[0].actor, 'okta:scim');
      const deleted = await cp.db('governance_events').where({ tenant_id: d.tenant.id, type: 'scim.user_deleted', subject: u.body.id });
      assert.deepEqual([deleted.length, deleted[0].data.groups_left], [1, 1]);
      assert.equal(await cp.count('governance_events', { tenant_id: d.tenant.id, type: 'scim.group_updated', subject: g.body.id }), 1);

      const again = await s('POST', '/Users', user('LEAVER@acme.example'));
      assert.equal(again.status, 201, again.text);
      assert.notEqual(again.body.id, u.body.id, 'a new user, not the deleted one');
      assert.equal(again.body.active, true);
      assert.equal((await s('GET', `/Users/${u.body.id}`)).status, 404, 'the deleted one stays deleted');
      assert.equal((await s('POST', '/Users', user('leaver@acme.example'))).status, 409, 'the name is unique among users not deleted');

      // A user already de-provisioned by PATCH is deleted without a second de-provisioning.
      const off = await s('POST', '/Users', user('off@acme.example', { active: false }));
      assert.equal((await s('DELETE', `/Users/${off.body.id}`)).status, 204);
      assert.equal((await s('GET', `/Users/${off.body.id}`)).status, 404);
      assert.equal(await cp.count('governance_events', { tenant_id: d.tenant.id, type: 'user_deactivated', subject: off.body.id }), 0);
      const rename = await s('PUT', `/Users/${other.body.id}`, user('off@acme.example'));
      assert.equal(rename.status, 200, `a live user may take a deleted user's name: ${rename.text}`);
    });

    it('groups: members by id, claresia-* names, rename, PUT, delete; members listed only when asked', async () => {
      const a = await s('POST', '/Users', user('ga@acme.example', { displayName: 'G A' }));
      const b = await s('POST', '/Users', user('gb@acme.example'));
      const g = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-tenant-admins', externalId: 'okta-1', members: [{ value: a.body.id }] });
      assert.equal(g.status, 201, g.text);
      assert.deepEqual(g.body.members.map((m: any) => [m.value, m.display]), [[a.body.id, 'G A']]);
      const ev = await cp.db('governance_events').where({ type: 'scim.group_created', subject: g.body.id }).first();
      assert.equal(ev.data.rbac, true);
      assert.equal((await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'CLARESIA-tenant-admins' })).status, 409);
      const listed = await s('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Claresia-Tenant-Admins"')}&excludedAttributes=members`);
      assert.equal(listed.body.totalResults, 1);
      assert.equal(listed.body.Resources[0].members, undefined);
      const byMember = await s('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${a.body.id}"]`)}`);
      assert.equal(byMember.body.totalResults, 1);
      const usersIn = await s('GET', `/Users?filter=${encodeURIComponent(`groups.value eq "${g.body.id}"`)}`);
      assert.deepEqual(usersIn.body.Resources.map((u: any) => u.id), [a.body.id]);
      assert.deepEqual((await s('GET', `/Users/${a.body.id}`)).body.groups.map((x: any) => x.display), ['claresia-tenant-admins']);
      const put = await s('PUT', `/Groups/${g.body.id}`, { schemas: [CORE_GROUP], displayName: 'claresia-auditors', members: [{ value: b.body.id }] });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.body.members.map((m: any) => m.value), [b.body.id]);
      const upd = await cp.db('governance_events').where({ type: 'scim.group_updated', subject: g.body.id }).first();
      assert.deepEqual([upd.data.members_added, upd.data.members_removed, upd.data.renamed_from], [1, 1, 'claresia-tenant-admins']);
      assert.equal((await s('DELETE', `/Groups/${g.body.id}`)).status, 204);
      assert.equal((await s('GET', `/Groups/${g.body.id}`)).status, 404);
      assert.equal(await cp.count('scim_group_members', { group_id: g.body.id }), 0);
      assert.equal((await s('GET', `/Users/${b.body.id}`)).status, 200, 'deleting a group keeps its users');
    });

    it('tells listeners of other modules inside the write transaction; a failing listener rolls the write back', async () => {
      const seen: ScimChange[] = [];
      const off = onScimChange(async (trx, change) => {
        // Inside the transaction: the change is visible to it.
        if (change.kind === 'user') assert.ok(await trx('scim_users').where({ id: change.userIds[0] }).first());
        seen.push(change);
      });
      try {
        const u = await s('POST', '/Users', user('hooked@acme.example'));
        await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
        await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
        const g = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-hooked' });
        await s('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u.body.id }] }] });
        assert.deepEqual(
          seen.map((c) => [c.kind, c.op, c.idp, c.directoryId, c.tenantId === d.tenant.id]),
          [
            ['user', 'created', 'okta', d.id, true],
            ['user', 'deprovisioned', 'okta', d.id, true],
            ['user', 'reactivated', 'okta', d.id, true],
            ['group', 'created', 'okta', d.id, true],
            ['group', 'updated', 'okta', d.id, true],
          ],
        );
        assert.deepEqual([seen[4]!.addedUserIds, seen[4]!.groupName], [[u.body.id], 'claresia-hooked']);
      } finally {
        off();
      }
      const off2 = onScimChange(async () => {
        throw new Error('listener failed');
      });
      try {
        const before = await scimCounts(cp);
        const r = await s('POST', '/Users', user('rolledback@acme.example'));
        assert.equal(r.status, 500);
        assert.equal(r.body.detail, 'internal error');
        assert.deepEqual(await scimCounts(cp), before);
      } finally {
        off2();
      }
    });

    it('scim:sync reports created, updated, de-provisioned, groups and errors since the last sync', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t, 'entra');
      const x = scim(cp, dir);
      const a = await x('POST', '/Users', user('s1@acme.example'));
      const b = await x('POST', '/Users', user('s2@acme.example'));
      await x('PATCH', `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: 'CTO' }] });
      await x('PATCH', `/Users/${b.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      await x('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-sync' });
      const dup = await x('POST', '/Users', user('S1@acme.example'));
      assert.equal(dup.status, 409);
      const sync = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(sync.status, 200, sync.text);
      const r = sync.body;
      assert.deepEqual([r.users.created, r.users.updated, r.users.deprovisioned, r.users.reactivated], [2, 1, 1, 0]);
      assert.deepEqual(r.users.created_ids, [a.body.id, b.body.id]);
      assert.deepEqual(r.users.deprovisioned_ids, [b.body.id]);
      assert.equal(r.groups.created, 1);
      assert.equal(r.errors.total, 1);
      assert.deepEqual([r.errors.items[0].method, r.errors.items[0].path, r.errors.items[0].status], ['POST', '/Users', 409]);
      assert.equal(r.errors.items[0].body.scimType, 'uniqueness');
      assert.equal(r.previous_sync_at, null);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'roster.scim_sync_completed' }).first();
      assert.deepEqual(ev.data.users, { created: 2, updated: 1, deprovisioned: 1, reactivated: 0 });
      assert.equal(ev.data.errors, 1);
      const again = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(again.body.changes, 0, 'a change is reported once');
      assert.equal(again.body.previous_sync_at, r.completed_at);
      // Another tenant's sync sees none of this.
      const other = await cp.createTenant();
      assert.equal((await cp.request('POST', '/api/v1/roster/scim:sync', { token: other.token })).body.changes, 0);
    });
  });
}
