import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { CORE_GROUP, CORE_USER, ENTERPRISE, makeDirectory, PATCH_OP, scim, user } from './helpers.js';

const scimTypes = new Set(['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive', undefined]);

for (const kind of dbKinds()) {
  describe(`scim endpoint fuzz over HTTP [${kind}]`, function () {
    this.timeout(300_000);
    let cp: TestControlPlane;
    let s: ReturnType<typeof scim>;
    let ids: { user: string; group: string };
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { scimRateLimit: { sustainedPerSecond: 100_000, burstPerSecond: 100_000 } } });
      const d = await makeDirectory(cp, await cp.createTenant(), 'entra');
      s = scim(cp, d);
      const u = await s('POST', '/Users', user('fuzz@acme.example', { title: 'Engineer', [ENTERPRISE]: { department: 'R&D' } }));
      const g = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-fuzz', members: [{ value: u.body.id }] });
      ids = { user: u.body.id, group: g.body.id };
    });
    after(async () => cp?.close());

    it('generated requests (filters, PATCH operations, documents, raw bytes) never get a 500', async () => {
      const text = fc.string({ maxLength: 40, unit: 'binary' });
      const path = fc.constantFrom('active', 'title', 'name.givenName', 'emails[type eq "work"].value', 'members', 'members[value eq "x"]', 'displayName', 'id', 'groups', `${ENTERPRISE}:manager`, 'nope', 'emails[', '');
      const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('False', 'True', [{ value: 'usr_ffffffffffffffffffffffff' }], { active: false }));
      const op = fc.record({ op: fc.constantFrom('add', 'Replace', 'remove', 'bogus'), path, value });
      const filter = fc.oneof(
        text,
        fc.tuple(fc.constantFrom('userName', 'title', 'emails.value', 'members.value', 'active', 'meta.created', 'x'), fc.constantFrom('eq', 'co', 'sw', 'gt', 'pr', 'zz'), text).map(([a, o, v]) => `${a} ${o} ${JSON.stringify(v)}`),
      );
      const request = fc.oneof(
        fc.record({ method: fc.constant('GET'), path: fc.constantFrom('/Users', '/Groups'), query: fc.record({ filter, startIndex: fc.oneof(fc.integer(), text), count: fc.oneof(fc.integer(), text), attributes: fc.constantFrom('userName', 'x', 'members', 'name.givenName') }, { requiredKeys: [] }), body: fc.constant(undefined) }),
        fc.record({ method: fc.constant('PATCH'), path: fc.constantFrom('/Users/{user}', '/Groups/{group}', '/Users/usr_1'), query: fc.constant({}), body: fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => ({ schemas: [PATCH_OP], Operations: ops })) }),
        fc.record({ method: fc.constantFrom('POST', 'PUT'), path: fc.constantFrom('/Users', '/Groups', '/Users/{user}', '/Groups/{group}'), query: fc.constant({}), body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ schemas: fc.constantFrom([CORE_USER], [CORE_GROUP], ['urn:x'], 'x'), userName: fc.oneof(text, fc.integer()), displayName: text, emails: fc.jsonValue({ maxDepth: 2 }), active: value, members: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] })) }),
        fc.record({ method: fc.constantFrom('POST', 'PATCH'), path: fc.constantFrom('/Users', '/Users/{user}'), query: fc.constant({}), body: text.map((t) => ({ raw: t })) }),
        fc.record({ method: fc.constant('DELETE'), path: fc.constantFrom('/Users/x', '/Groups/grp_00', '/Users/%ff'), query: fc.constant({}), body: fc.constant(undefined) }),
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const qs = new URLSearchParams(Object.entries(r.query ?? {}).map(([k, v]) => [k, String(v)])).toString();
          const p = r.path.replace('{user}', ids.user).replace('{group}', ids.group) + (qs ? `?${qs}` : '');
          const body = r.body && typeof r.body === 'object' && 'raw' in (r.body as object) ? (r.body as { raw: string }).raw : r.body;
          const res = await s(r.method, p, body);
          n++;
          assert.ok(res.status < 500, `${r.method} ${p} ${JSON.stringify(body)?.slice(0, 300)} -> ${res.status} ${res.text}`);
          if (res.status >= 400) {
            assert.equal(res.body.status, String(res.status));
            assert.ok(scimTypes.has(res.body.scimType), res.text);
          }
        }),
        { numRuns: 1500 },
      );
      assert.equal(n, 1500);
    });
  });
}
