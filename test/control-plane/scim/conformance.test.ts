import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { CORE_USER, ENTERPRISE, makeDirectory, PATCH_OP, scim, scimCounts, user, type Directory } from './helpers.js';

/** RFC 7644 rules the reviewer found broken against a running control plane. */
for (const kind of dbKinds()) {
  describe(`scim RFC 7644 conformance [${kind}]`, function () {
    let cp: TestControlPlane;
    let d: Directory;
    let s: ReturnType<typeof scim>;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      d = await makeDirectory(cp, await cp.createTenant(), 'entra');
      s = scim(cp, d);
    });
    after(async () => cp?.close());

    it('§3.5.2: a PATCH making a value primary makes the others not primary; two primaries in one body are refused', async () => {
      const u = await s('POST', '/Users', user('prim@acme.example', { emails: [{ value: 'prim@acme.example', type: 'work', primary: true }, { value: 'prim@home.example', type: 'home' }] }));
      assert.equal(u.status, 201, u.text);
      const primaries = (body: any) => body.emails.filter((e: any) => e.primary === true).map((e: any) => e.value);
      const add = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'emails', value: { value: 'y@x.example', type: 'other', primary: true } }] });
      assert.equal(add.status, 200, add.text);
      assert.deepEqual(primaries(add.body), ['y@x.example']);
      const home = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails[type eq "home"].primary', value: true }] });
      assert.equal(home.status, 200, home.text);
      assert.deepEqual(primaries(home.body), ['prim@home.example']);
      assert.equal((await cp.db('scim_users').where({ id: u.body.id }).first()).email, 'prim@acme.example', 'the work email is still the one other modules read');

      const before = await scimCounts(cp);
      const two = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'emails', value: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }] });
      assert.equal(two.status, 400);
      assert.equal(two.body.scimType, 'invalidValue');
      const post = await s('POST', '/Users', user('two@acme.example', { emails: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }));
      assert.equal(post.status, 400);
      assert.match(post.body.detail, /emails: at most one value may be primary/);
      assert.deepEqual(await scimCounts(cp), before, 'refused writes change nothing');
    });

    it('§3.4.2.5: attributes / excludedAttributes take the enterprise extension URN as the whole extension; unknown names are ignored', async () => {
      const u = await s('POST', '/Users', user('proj@acme.example', { title: 'Engineer', [ENTERPRISE]: { department: 'R&D', employeeNumber: '7' } }));
      assert.equal(u.status, 201, u.text);
      const only = await s('GET', `/Users/${u.body.id}?attributes=${encodeURIComponent(`userName,${ENTERPRISE}`)}`);
      assert.equal(only.status, 200, only.text);
      assert.deepEqual(Object.keys(only.body).sort(), ['id', 'schemas', 'userName', ENTERPRISE].sort());
      assert.deepEqual(only.body[ENTERPRISE], { employeeNumber: '7', department: 'R&D' });
      const without = await s('GET', `/Users/${u.body.id}?excludedAttributes=${encodeURIComponent(ENTERPRISE.toLowerCase())}`);
      assert.equal(without.status, 200, without.text);
      assert.equal(without.body[ENTERPRISE], undefined);
      assert.deepEqual(without.body.schemas, [CORE_USER], 'schemas names only what the answer holds');
      assert.equal(without.body.title, 'Engineer');
      const listed = await s('GET', `/Users?filter=${encodeURIComponent('userName eq "proj@acme.example"')}&excludedAttributes=${encodeURIComponent(`${ENTERPRISE},emails`)}`);
      assert.deepEqual([listed.body.Resources[0][ENTERPRISE], listed.body.Resources[0].emails, listed.body.Resources[0].title], [undefined, undefined, 'Engineer']);
      const unknown = await s('GET', `/Users/${u.body.id}?attributes=userName,roles,shoeSize`);
      assert.equal(unknown.status, 200, unknown.text);
      assert.deepEqual(Object.keys(unknown.body).sort(), ['id', 'schemas', 'userName']);
      const unknownExcluded = await s('GET', `/Users/${u.body.id}?excludedAttributes=shoeSize,a.b.c`);
      assert.equal(unknownExcluded.status, 200, unknownExcluded.text);
      assert.equal(unknownExcluded.body.title, 'Engineer');
      const groups = await s('GET', '/Groups?excludedAttributes=members,shoeSize');
      assert.equal(groups.status, 200, groups.text);
    });

    it('PATCH of attributes POST and PUT drop (roles, entitlements, ims, photos, x509Certificates) is accepted and dropped; unknown paths stay invalidPath', async () => {
      const u = await s('POST', '/Users', user('roles@acme.example', { roles: [{ value: 'Admin', primary: true }], title: 'Engineer' }));
      assert.equal(u.status, 201, u.text);
      assert.equal(u.body.roles, undefined, 'POST drops it');
      const before = await scimCounts(cp);
      // Entra ID's shape when app roles are mapped.
      const roles = await s('PATCH', `/Users/${u.body.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Add', path: 'roles', value: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] },
          { op: 'Replace', path: 'roles[primary eq "True"].value', value: 'User' },
          { op: 'Remove', path: 'entitlements' },
          { op: 'Add', path: `${CORE_USER}:x509Certificates`, value: [{ value: 'MIIB' }] },
          { op: 'Replace', value: { ims: [{ value: 'x' }], photos: [{ value: 'https://x.example/p.png' }], title: 'Staff Engineer' } },
        ],
      });
      assert.equal(roles.status, 200, roles.text);
      assert.equal(roles.body.title, 'Staff Engineer');
      for (const a of ['roles', 'entitlements', 'x509Certificates', 'ims', 'photos']) assert.equal(roles.body[a], undefined, a);
      const same = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'roles', value: [{ value: 'Admin' }] }] });
      assert.equal(same.status, 200, same.text);
      assert.equal(same.body.meta.version, roles.body.meta.version, 'dropping changes nothing');
      const after = await scimCounts(cp);
      assert.equal(after.events, before.events + 1, 'one event: the title');

      const bad = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'shoeSize', value: 42 }] });
      assert.deepEqual([bad.status, bad.body.scimType], [400, 'invalidPath']);
      const badExt = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: `${ENTERPRISE}:roles`, value: 'x' }] });
      assert.deepEqual([badExt.status, badExt.body.scimType], [400, 'invalidPath'], 'roles is not an attribute of the extension');
    });
    it('§3.11, §3.7: /Me and /Bulk answer 501 in the error schema, whatever the method; 401 without a token', async () => {
      const spc = await s('GET', '/ServiceProviderConfig');
      assert.equal(spc.body.bulk.supported, false, 'ServiceProviderConfig says so too');
      const before = await scimCounts(cp);
      const cases: Array<[string, string, unknown]> = [
        ['GET', '/Me', undefined],
        ['PUT', '/Me', user('me@acme.example')],
        ['PATCH', '/Me', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }],
        ['DELETE', '/Me', undefined],
        ['POST', '/Me', user('me@acme.example')],
        ['POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: user('bulk@acme.example') }] }],
        ['GET', '/Bulk', undefined],
        ['POST', '/Bulk', 'not json'],
      ];
      for (const [method, path, body] of cases) {
        const r = await s(method, path, body, typeof body === 'string' ? { 'Content-Type': 'text/plain' } : {});
        const what = `${method} ${path}`;
        assert.equal(r.status, 501, `${what}: ${r.text}`);
        assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], what);
        assert.equal(r.body.status, '501', what);
        assert.equal(r.body.scimType, undefined, what);
        assert.match(r.body.detail, path === '/Me' ? /does not support \/Me/ : /does not support \/Bulk/, what);
        assert.match(r.headers.get('content-type')!, /^application\/scim\+json/, what);
      }
      assert.deepEqual(await scimCounts(cp), before, 'nothing written');
      for (const path of ['/Me', '/Bulk']) {
        const anon = await cp.request('POST', `${d.base}${path}`, { body: {}, headers: { 'Content-Type': 'application/scim+json' } });
        assert.equal(anon.status, 401, `${path} without a token: ${anon.text}`);
        const wrong = await cp.request('GET', `${d.base}${path}`, { token: 'scim_nope' });
        assert.equal(wrong.status, 401, `${path} with a wrong token`);
      }
    });

    it('§3.8: a body needs Content-Type application/scim+json or application/json (UTF-8), else 415 naming the header; bodiless requests need none', async () => {
      // fetch adds text/plain to a string body: bytes go without a Content-Type.
      const send = (method: string, path: string, body: string | undefined, headers: Record<string, string> = {}) =>
        fetch(`${cp.url}${d.base}${path}`, { method, headers: { Authorization: `Bearer ${d.token}`, ...headers }, ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }) }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
      const u = await s('POST', '/Users', user('ctype@acme.example'));
      assert.equal(u.status, 201, u.text);
      const before = await scimCounts(cp);
      const patch = JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Refused' }] });
      const refused: Array<[string, string, string, Record<string, string>, RegExp]> = [
        ['POST', '/Users', JSON.stringify(user('none@acme.example')), {}, /Content-Type header/],
        ['PATCH', `/Users/${u.body.id}`, patch, {}, /Content-Type header/],
        ['PUT', `/Users/${u.body.id}`, JSON.stringify(user('ctype@acme.example', { title: 'Refused' })), { 'Content-Type': 'text/plain' }, /Content-Type header.*"text\/plain"/],
        ['POST', '/Groups', JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'g' }), { 'Content-Type': 'application/x-www-form-urlencoded' }, /Content-Type header/],
        ['POST', '/Users/.search', '{}', { 'Content-Type': 'text/json' }, /Content-Type header/],
        ['PATCH', `/Users/${u.body.id}`, patch, { 'Content-Type': 'application/scim+json; charset=latin1' }, /Content-Type header names charset "latin1": send UTF-8/],
        ['PATCH', `/Users/${u.body.id}`, patch, { 'Content-Type': 'application/scim+json', 'Content-Encoding': 'compress' }, /Content-Encoding header/],
      ];
      for (const [method, path, body, headers, detail] of refused) {
        const r = await send(method, path, body, headers);
        const what = `${method} ${path} ${JSON.stringify(headers)}`;
        assert.equal(r.status, 415, `${what}: ${r.text}`);
        const err = JSON.parse(r.text);
        assert.deepEqual([err.schemas, err.status], [['urn:ietf:params:scim:api:messages:2.0:Error'], '415'], what);
        assert.match(err.detail, detail, what);
        assert.match(r.headers.get('content-type')!, /^application\/scim\+json/, what);
      }
      assert.deepEqual(await scimCounts(cp), before, 'refused requests change nothing');

      for (const type of ['application/scim+json', 'application/scim+json; charset=utf-8', 'application/json', 'Application/JSON;charset=UTF-8']) {
        const r = await send('PATCH', `/Users/${u.body.id}`, JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: type }] }), { 'Content-Type': type });
        assert.equal(r.status, 200, `${type}: ${r.text}`);
        assert.equal(JSON.parse(r.text).title, type);
      }
      assert.equal((await send('GET', `/Users/${u.body.id}`, undefined)).status, 200, 'a GET needs no Content-Type');
      const empty = await s('POST', '/Users', user('empty@acme.example'));
      assert.equal((await send('DELETE', `/Users/${empty.body.id}`, '')).status, 204, 'a DELETE with Content-Length: 0 and no Content-Type');
      const bare = await s('POST', '/Users', user('bare@acme.example'));
      assert.equal((await send('DELETE', `/Users/${bare.body.id}`, undefined)).status, 204, 'a DELETE without a body');
    });
  });
}
