import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFilter, parsePatchPath } from '../../../control-plane/src/scim/filter/parse.js';
import { compileFilter, prefixCeiling } from '../../../control-plane/src/scim/filter/sql.js';
import { GROUP_FILTERS, USER_FILTERS } from '../../../control-plane/src/scim/filter/tables.js';
import { ScimError } from '../../../control-plane/src/scim/errors.js';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, scim, user, ENTERPRISE } from './helpers.js';

function rejects(src: string, scimType = 'invalidFilter', detail?: RegExp) {
  try {
    const f = parseFilter(src);
    compileFilter(USER_FILTERS, f);
  } catch (err) {
    assert.ok(err instanceof ScimError, `${src}: ${String(err)}`);
    assert.equal(err.status, 400, src);
    assert.equal(err.scimType, scimType, src);
    if (detail) assert.match(err.message, detail, src);
    return;
  }
  assert.fail(`${src} was accepted`);
}

describe('scim filter parser', () => {
  it('parses the grammar of RFC 7644 §3.4.2.2 with its precedence', () => {
    assert.deepEqual(parseFilter('userName Eq "a"'), { kind: 'compare', op: 'eq', path: { attr: 'userName' }, value: 'a' });
    // and binds tighter than or
    const f = parseFilter('a eq 1 or b eq 2 and c pr') as any;
    assert.equal(f.kind, 'or');
    assert.equal(f.right.kind, 'and');
    const g = parseFilter('(a eq 1 or b eq 2) and not (c pr)') as any;
    assert.equal(g.kind, 'and');
    assert.equal(g.left.kind, 'or');
    assert.equal(g.right.kind, 'not');
    assert.deepEqual(parseFilter('emails[type eq "work" and value co "@x"]'), {
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: { kind: 'and', left: { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' }, right: { kind: 'compare', op: 'co', path: { attr: 'value' }, value: '@x' } },
    });
    assert.deepEqual((parseFilter(`${ENTERPRISE}:manager.value eq "u1"`) as any).path, { schema: ENTERPRISE, attr: 'manager', sub: 'value' });
    assert.deepEqual((parseFilter('title eq "say \\"hi\\" \\u00e9"') as any).value, 'say "hi" é');
    assert.equal((parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"') as any).path.sub, 'lastModified');
    assert.equal((parseFilter('active eq false') as any).value, false);
    assert.equal((parseFilter('x eq null') as any).value, null);
    assert.equal((parseFilter('x ge -1.5e3') as any).value, -1500);
  });

  it('parses a sub-attribute after a value filter: attr[valFilter].subAttr op value, and pr', () => {
    const work = { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' };
    assert.deepEqual(parseFilter('emails[type eq "work"].value eq "alice@acme.example"'), {
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: { kind: 'and', left: work, right: { kind: 'compare', op: 'eq', path: { attr: 'value' }, value: 'alice@acme.example' } },
    });
    assert.deepEqual(parseFilter('emails[type eq "work"].value pr'), { kind: 'valuePath', path: { attr: 'emails' }, filter: { kind: 'and', left: work, right: { kind: 'pr', path: { attr: 'value' } } } });
    const f = parseFilter('emails[type eq "work"].value sw "a" and userName pr') as any;
    assert.deepEqual([f.kind, f.left.kind, f.left.filter.right.op, f.right.kind], ['and', 'valuePath', 'sw', 'pr']);
    rejects('emails[type eq "work"].value', 'invalidFilter', /expected an operator after "emails\[\.\.\.\]\.value"/);
    rejects('emails[type eq "work"].', 'invalidFilter', /sub-attribute name after/);
    rejects('emails[type eq "work"].value.x eq "a"', 'invalidFilter', /unexpected "\."/);
    rejects('emails[type eq "work"] .value eq "a"', 'invalidFilter', /unexpected "\."/);
    rejects('emails[type eq "work"].nope eq "a"', 'invalidFilter', /no sub-attribute "nope"/);
    rejects('userName.value eq "a"', 'invalidFilter');
  });

  it('names what is wrong with a filter that does not parse', () => {
    rejects('', 'invalidFilter', /empty/);
    rejects('userName eq', 'invalidFilter', /expected a value/);
    rejects('userName eq "unterminated', 'invalidFilter', /unterminated/);
    rejects('userName is "x"', 'invalidFilter', /unknown operator "is"/);
    rejects('(userName eq "x"', 'invalidFilter', /expected "\)"/);
    rejects('userName eq "x")', 'invalidFilter', /unexpected text/);
    rejects('emails[type eq "work"', 'invalidFilter', /expected "\]"/);
    rejects('userName eq "x" and', 'invalidFilter');
    rejects('"x" eq userName', 'invalidFilter', /attribute name/);
    rejects('a.b.c eq "x"', 'invalidFilter', /not an attribute path/);
    rejects('('.repeat(40) + 'a pr' + ')'.repeat(40), 'invalidFilter', /nests deeper/);
    rejects('a pr and '.repeat(1000) + 'a pr', 'invalidFilter', /longer than/);
  });

  it('refuses attributes that do not exist or cannot be compared that way', () => {
    rejects('shoeSize eq "42"', 'invalidFilter', /no attribute "shoeSize"/);
    rejects('password eq "x"', 'invalidFilter', /cannot be filtered/);
    rejects('name eq "x"', 'invalidFilter', /complex/);
    rejects('active gt true', 'invalidFilter', /does not apply to the boolean/);
    rejects('active eq "maybe"', 'invalidFilter', /boolean/);
    rejects('meta.created gt "yesterday"', 'invalidFilter', /dateTime/);
    rejects('userName eq true', 'invalidFilter', /string/);
    rejects('title[value eq "x"]', 'invalidFilter', /not multi-valued/);
    rejects('emails[shoe eq "x"]', 'invalidFilter', /no sub-attribute "shoe"/);
    rejects('emails[type eq "work" and emails[type pr]]', 'invalidFilter', /nest/);
    rejects('userName gt null', 'invalidFilter', /null/);
    rejects(Array.from({ length: 70 }, (_, i) => `title eq "${i}"`).join(' or '), 'invalidFilter', /more than 64/);
  });

  it('compiles to indexed expressions with bound values only', () => {
    const c = compileFilter(USER_FILTERS, parseFilter('userName eq "Alice@Acme.example" and title sw "Vice\'; drop table x; --"'));
    assert.match(c.sql, /scim_users\.user_name_lower = \?/);
    assert.match(c.sql, /lower\(scim_users\.title\) ~>=~ \? AND lower\(scim_users\.title\) ~<~ \? AND lower\(scim_users\.title\) LIKE \? ESCAPE/);
    assert.ok(!c.sql.includes('drop table'), 'values never reach the SQL text');
    assert.deepEqual(c.bindings, ['alice@acme.example', "vice'; drop table x; --", "vice'; drop table x; -.", "vice'; drop table x; --%"], 'sw: its range, then the exact test');
    const w = compileFilter(USER_FILTERS, parseFilter('title co "50%_off"'));
    assert.deepEqual(w.bindings, ['%50\\%\\_off%'], 'LIKE wildcards in values are escaped');
    const g = compileFilter(GROUP_FILTERS, parseFilter('displayName eq "Claresia-Admins" and members[value eq "usr_1"]'));
    assert.match(g.sql, /scim_group_members/);
  });

  it('bounds a prefix by the least string above all that start with it, in UTF-8 byte order', () => {
    assert.equal(prefixCeiling('abc'), 'abd');
    assert.equal(prefixCeiling(''), undefined);
    assert.equal(prefixCeiling('\u{10FFFF}'), undefined);
    assert.equal(prefixCeiling('a\u{10FFFF}'), 'b');
    assert.equal(prefixCeiling('\uD7FF'), '\uE000', 'no surrogate code point in between');
    assert.equal(prefixCeiling('x\uD800'), 'x\uFFFE', 'a lone surrogate is bounded as the U+FFFD it is sent as');
    const utf8 = (s: string) => Buffer.from(s, 'utf8');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), (prefix, rest) => {
        const above = prefixCeiling(prefix);
        const s = utf8(prefix + rest);
        if (Buffer.compare(utf8(prefix), s) > 0) return false;
        return above === undefined ? [...prefix].every((c) => c === '\u{10FFFF}') : Buffer.compare(s, utf8(above)) < 0;
      }),
      { numRuns: 3000 },
    );
  });

  it('parses PATCH paths', () => {
    assert.deepEqual(parsePatchPath('name.givenName'), { path: { attr: 'name', sub: 'givenName' } });
    const p = parsePatchPath('emails[type eq "work"].value');
    assert.equal(p.subAfterFilter, 'value');
    assert.equal((p.filter as any).value, 'work');
    assert.deepEqual(parsePatchPath(`${ENTERPRISE}:department`).path, { schema: ENTERPRISE, attr: 'department' });
    for (const bad of ['emails[type eq "work"', 'emails[type eq "work"]value', 'a b', 'name.givenName[x eq 1]', 'emails[]']) {
      assert.throws(() => parsePatchPath(bad), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidPath', bad);
    }
  });

  it('fuzz: arbitrary text never escapes as anything but a 400 invalidFilter', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120, unit: 'binary' }), (src) => {
        try {
          compileFilter(USER_FILTERS, parseFilter(src));
        } catch (err) {
          return err instanceof ScimError && err.status === 400 && err.scimType === 'invalidFilter';
        }
        return true;
      }),
      { numRuns: 5000 },
    );
  });
});

// Filters built from the grammar, valid or nearly so, over real and made-up attributes.
const attrNames = fc.constantFrom(
  'userName', 'USERNAME', 'title', 'displayName', 'active', 'externalId', 'id', 'name.givenName', 'name.familyName', 'name.formatted', 'nickName',
  'emails', 'emails.value', 'emails.type', 'emails.primary', 'phoneNumbers.value', 'addresses.locality', 'groups', 'groups.display', 'timezone',
  'meta.created', 'meta.lastModified', 'meta.version', `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`, 'department', 'employeeNumber',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'urn:nope:x', 'shoeSize', 'name', 'password', 'x.y',
);
const values = fc.oneof(
  fc.string({ maxLength: 12, unit: 'binary' }).map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', 'null', '"True"', '"2024-01-01T00:00:00Z"', '"%"', '"_"', '"\\\\"', "\"'\"", '0', '-3.5', '1e400'),
);
const ops = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Sw');
const leaf = fc.oneof(
  fc.tuple(attrNames, ops, values).map(([a, o, v]) => `${a} ${o} ${v}`),
  attrNames.map((a) => `${a} pr`),
  fc.tuple(fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'groups', 'title'), fc.constantFrom('type', 'value', 'primary', 'display', 'locality', 'nope'), ops, values).map(
    ([a, s, o, v]) => `${a}[${s} ${o} ${v}]`,
  ),
);
const filterText: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('f'), fc.constantFrom('and', 'or', 'AND'), tie('f')).map(([l, o, r]) => `${l} ${o} ${r}`),
    tie('f').map((x) => `not (${x})`),
    tie('f').map((x) => `(${x})`),
  ),
})).f;

for (const kind of dbKinds()) {
  describe(`scim filter fuzz against the database [${kind}]`, function () {
    this.timeout(180_000);
    let cp: TestControlPlane;
    let directoryId: string;
    let tenantId: string;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t);
      directoryId = d.id;
      tenantId = t.id;
      const s = scim(cp, d);
      for (const [i, title] of ['Engineer', 'VP 50% Sales', null].entries()) {
        const r = await s('POST', '/Users', user(`u${i}@acme.example`, { ...(title ? { title } : {}), [ENTERPRISE]: { department: 'R&D', manager: { value: 'x' } } }));
        assert.equal(r.status, 201, r.text);
      }
      const g = await s('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'claresia-admins' });
      assert.equal(g.status, 201, g.text);
    });
    after(async () => cp?.close());

    it('attr[valFilter].subAttr op value finds users by a sub-attribute of the values the filter selects', async () => {
      const s = scim(cp, await makeDirectory(cp, await cp.createTenant(), 'entra'));
      const alice = await s('POST', '/Users', user('alice', { emails: [{ value: 'alice@acme.example', type: 'work', primary: true }, { value: 'alice@home.example', type: 'home' }] }));
      const bob = await s('POST', '/Users', user('bob', { emails: [{ value: 'bob@home.example', type: 'home' }, { value: 'alice@acme.example', type: 'other' }] }));
      assert.deepEqual([alice.status, bob.status], [201, 201], alice.text + bob.text);
      const found = async (filter: string) => {
        const r = await s('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return (r.body.Resources as Array<{ userName: string }>).map((u) => u.userName).sort();
      };
      // Entra's matching lookup when the work email is the matching attribute.
      assert.deepEqual(await found('emails[type eq "work"].value eq "alice@acme.example"'), ['alice'], 'bob has the address, but not as his work email');
      assert.deepEqual(await found('emails[type eq "work"].value eq "ALICE@acme.example"'), ['alice'], 'email values compare case-insensitively');
      assert.deepEqual(await found('emails[type eq "home"].value ew "home.example"'), ['alice', 'bob']);
      assert.deepEqual(await found('emails[type eq "home"].value co "bob"'), ['bob']);
      assert.deepEqual(await found('emails[type eq "work"].value pr'), ['alice']);
      assert.deepEqual(await found('emails[type eq "other"].value pr and not (emails[type eq "work"].value pr)'), ['bob']);
      assert.deepEqual(await found('emails[type eq "work"].value ne "alice@acme.example"'), [], 'some work email other than this one: none');
      assert.deepEqual(await found('emails[primary eq true].value sw "alice"'), ['alice']);
      // Lookups by a value, which the email-values index answers beside the exact test.
      assert.deepEqual(await found('emails eq "ALICE@acme.example"'), ['alice', 'bob']);
      assert.deepEqual(await found('emails.value eq "bob@home.example"'), ['bob']);
      assert.deepEqual(await found('emails[type eq "other" and value eq "alice@acme.example"]'), ['bob']);
      assert.deepEqual(await found('emails[value eq "alice@acme.example" and value eq "alice@home.example"]'), [], 'one value cannot be both');
      assert.deepEqual(await found('not (emails eq "alice@acme.example")'), []);
      assert.deepEqual(await found('emails eq "alice@acme.example" and not (emails[type eq "work"].value eq "alice@acme.example")'), ['bob']);
    });

    it('an email lookup is answered from the index over email values, not by reading the directory', async function () {
      // The plan PostgreSQL makes for a directory of some size; PGlite's planner is the same code.
      if (kind !== 'pg') this.skip();
      const d = await makeDirectory(cp, await cp.createTenant(), 'entra');
      const s = scim(cp, d);
      const seed = await s('POST', '/Users', user('seed@acme.example'));
      assert.equal(seed.status, 201, seed.text);
      // 5,000 more users of the directory, copies of the seed under their own names and addresses.
      const cols = ((await cp.db.raw(`SELECT column_name FROM information_schema.columns WHERE table_name = 'scim_users' AND table_schema = current_schema() AND column_name <> 'seq'`)).rows as Array<{ column_name: string }>).map((r) => r.column_name);
      const own: Record<string, string> = {
        id: `'usr_' || md5(i::text)`,
        user_name: `'u' || i || '@acme.example'`,
        user_name_lower: `'u' || i || '@acme.example'`,
        emails: `jsonb_build_array(jsonb_build_object('value', 'U' || i || '@acme.example', 'type', 'work'))`,
        rendered: 'NULL',
        external_id: 'NULL',
      };
      await cp.db.raw(`INSERT INTO scim_users (${cols.join(', ')}) SELECT ${cols.map((c) => own[c] ?? c).join(', ')} FROM scim_users, generate_series(1, 5000) AS i WHERE id = ?`, [seed.body.id]);
      await cp.db.raw('ANALYZE scim_users');
      for (const filter of ['emails[type eq "work"].value eq "u77@acme.example"', 'emails eq "U77@ACME.example"', 'emails[value eq "u77@acme.example" and type eq "work"]']) {
        const c = compileFilter(USER_FILTERS, parseFilter(filter));
        const q = cp.db('scim_users').where({ tenant_id: d.tenant.id, directory_id: d.id }).whereNull('deleted_at').whereRaw(c.sql, c.bindings as never[]).orderBy('seq').limit(100);
        const plan = ((await cp.db.raw(`EXPLAIN ${q.toQuery()}`)).rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).join('\n');
        assert.match(plan, /scim_users_email_values/, `${filter}:\n${plan}`);
        assert.deepEqual(((await q.select('user_name')) as Array<{ user_name: string }>).map((r) => r.user_name), ['u77@acme.example'], filter);
      }
    });

    it('sw finds exactly the values that start with the prefix, whatever their characters', async () => {
      const titles = ['Zebra', 'zeta', 'Émile', 'émilie', 'a%_\\b', 'a%', '\uD7FF-x', '\uE000-y', '\u{10FFFF}z', '\u{10FFFF}', 'ab\u{1F600}', 'ab\u{1F601}', 'ab', 'ÿ', 'Ā'];
      const s = scim(cp, await makeDirectory(cp, await cp.createTenant()));
      const ids = new Map<string, string>();
      for (const [i, title] of titles.entries()) {
        const r = await s('POST', '/Users', user(`sw${i}@acme.example`, { title }));
        assert.equal(r.status, 201, r.text);
        ids.set(r.body.id, title);
      }
      const prefixes = new Set(['', 'z', 'Z', 'ze', 'é', 'É', 'a%', 'a%_', 'a%_\\', '\uD7FF', '\uE000', '\u{10FFFF}', 'ab', 'ab\u{1F600}', 'ÿ', 'Ā', 'q']);
      for (const t of titles) for (let n = 1; n <= [...t].length; n++) prefixes.add([...t].slice(0, n).join(''));
      for (const prefix of prefixes) {
        const r = await s('GET', `/Users?count=100&filter=${encodeURIComponent(`title sw ${JSON.stringify(prefix)}`)}`);
        assert.equal(r.status, 200, r.text);
        const got = (r.body.Resources as Array<{ title: string }>).map((u) => u.title).sort();
        // The reference is the database's own prefix test, with no LIKE and no byte order in it.
        const want = ((await cp.db('scim_users').whereIn('id', [...ids.keys()]).whereRaw('left(lower(title), char_length(?)) = ?', [prefix.toLowerCase(), prefix.toLowerCase()]).select('title')) as Array<{ title: string }>).map((u) => u.title).sort();
        assert.deepEqual(got, want, `title sw ${JSON.stringify(prefix)}`);
        assert.equal(r.body.totalResults, want.length, `totalResults of title sw ${JSON.stringify(prefix)}`);
      }
    });

    it('every generated filter compiles to SQL the database runs, or is a 400 invalidFilter', async () => {
      let ran = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(filterText, async (src) => {
          let sql;
          try {
            sql = compileFilter(USER_FILTERS, parseFilter(src));
          } catch (err) {
            refused++;
            return err instanceof ScimError && err.status === 400 && err.scimType === 'invalidFilter';
          }
          await cp.db('scim_users').where({ tenant_id: tenantId, directory_id: directoryId }).whereRaw(sql.sql, sql.bindings as never[]).count({ n: '*' });
          ran++;
          return true;
        }),
        { numRuns: 1500 },
      );
      assert.ok(ran > 300 && refused > 100, `both outcomes exercised (ran ${ran}, refused ${refused})`);
    });
  });
}
