import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, readPatchBody, type PatchOperation } from '../../../control-plane/src/scim/patch.js';
import { cleanDocument } from '../../../control-plane/src/scim/document.js';
import { ScimError } from '../../../control-plane/src/scim/errors.js';
import { GROUP_TYPE, USER_TYPE } from '../../../control-plane/src/scim/schema.js';
import { ENTERPRISE, PATCH_OP } from './helpers.js';

const base = () =>
  cleanDocument(USER_TYPE, {
    userName: 'alice@acme.example',
    name: { givenName: 'Alice', familyName: 'Liddell' },
    emails: [
      { value: 'alice@acme.example', type: 'work', primary: true },
      { value: 'alice@home.example', type: 'home' },
    ],
    active: true,
    title: 'Engineer',
    [ENTERPRISE]: { department: 'R&D', manager: { value: 'usr_00' } },
  });

const patch = (ops: PatchOperation[], doc = base()) => applyPatch(USER_TYPE, doc, ops);

function fails(ops: PatchOperation[], scimType: string, detail?: RegExp, type = USER_TYPE, doc: Record<string, unknown> = base()) {
  assert.throws(
    () => applyPatch(type, doc, ops),
    (e: unknown) => {
      assert.ok(e instanceof ScimError, String(e));
      assert.equal(e.scimType, scimType, e.message);
      if (detail) assert.match(e.message, detail);
      return true;
    },
  );
}

describe('scim PATCH applier', () => {
  it("Okta: replace with an object value and no path de-provisions", () => {
    const out = patch([{ op: 'replace', value: { active: false } }]);
    assert.equal(out.active, false);
    assert.equal(out.title, 'Engineer', 'everything else is untouched');
    const renamed = patch([{ op: 'replace', value: { id: 'usr_x', name: { givenName: 'Al' }, schemas: ['x'], meta: {} } }]);
    assert.deepEqual(renamed.name, { givenName: 'Al', familyName: 'Liddell' }, 'sub-attributes not given are kept; read-only keys ignored');
  });

  it('Entra: capitalised ops, string booleans, filtered and extension paths', () => {
    const ops = readPatchBody({
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'alice@new.example' },
        { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 0100' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'usr_01' },
        { op: 'Replace', path: 'name.familyName', value: 'Pleasance' },
        { op: 'Remove', path: 'title' },
      ],
    });
    const out = patch(ops) as any;
    assert.equal(out.active, false);
    assert.equal(out.emails.find((e: any) => e.type === 'work').value, 'alice@new.example');
    assert.equal(out.emails.length, 2);
    assert.deepEqual(out.phoneNumbers, [{ type: 'work', value: '+1 555 0100' }], 'a filter that pins the type creates the value');
    assert.equal(out[ENTERPRISE].department, 'Sales');
    assert.deepEqual(out[ENTERPRISE].manager, { value: 'usr_01' }, 'a manager given as a bare id');
    assert.equal(out.name.familyName, 'Pleasance');
    assert.equal(out.title, undefined);
    // Entra also writes "True" and extension attributes as keys of a path-less value.
    const back = patch([{ op: 'replace', value: { active: 'True', [`${ENTERPRISE}:employeeNumber`]: '42', 'name.givenName': 'Ally' } }], out) as any;
    assert.equal(back.active, true);
    assert.equal(back[ENTERPRISE].employeeNumber, '42');
    assert.equal(back.name.givenName, 'Ally');
    const ext = patch([{ op: 'add', value: { [ENTERPRISE]: { costCenter: 'CC-1' } } }]) as any;
    assert.equal(ext[ENTERPRISE].costCenter, 'CC-1');
    assert.equal(ext[ENTERPRISE].department, 'R&D');
  });

  it('adds to and removes from multi-valued attributes', () => {
    const added = patch([{ op: 'add', path: 'emails', value: [{ value: 'a3@x.example', type: 'other' }, { value: 'ALICE@acme.example', type: 'work' }] }]) as any;
    assert.equal(added.emails.length, 3, 'a value already there (case-insensitively) is not added twice');
    const removed = patch([{ op: 'remove', path: 'emails[type eq "home"]' }]) as any;
    assert.deepEqual(removed.emails.map((e: any) => e.type), ['work']);
    const none = patch([{ op: 'remove', path: 'emails[type eq "fax"]' }]) as any;
    assert.equal(none.emails.length, 2, 'removing what is not there is a no-op');
    const replaced = patch([{ op: 'replace', path: 'emails', value: [{ value: 'only@x.example' }] }]) as any;
    assert.deepEqual(replaced.emails, [{ value: 'only@x.example' }]);
    const cleared = patch([{ op: 'remove', path: 'emails' }]) as any;
    assert.equal(cleared.emails, undefined);
  });

  it('RFC 7644 §3.5.2: making a value primary makes the others not primary', () => {
    const primaries = (doc: any) => doc.emails.filter((e: any) => e.primary === true).map((e: any) => e.value);
    const added = patch([{ op: 'add', path: 'emails', value: { value: 'y@x.example', type: 'other', primary: true } }]) as any;
    assert.deepEqual(primaries(added), ['y@x.example']);
    assert.equal(added.emails.find((e: any) => e.type === 'work').primary, false);
    const home = patch([{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }]) as any;
    assert.deepEqual(primaries(home), ['alice@home.example']);
    const homeEntra = patch(readPatchBody({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'emails[type eq "home"].primary', value: 'True' }] })) as any;
    assert.deepEqual(primaries(homeEntra), ['alice@home.example']);
    const byObject = patch([{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'alice@new-home.example', type: 'home', primary: true } }]) as any;
    assert.deepEqual(primaries(byObject), ['alice@new-home.example']);
    const created = patch([{ op: 'add', path: 'phoneNumbers', value: [{ value: '+1', type: 'work', primary: true }] }, { op: 'add', path: 'phoneNumbers[type eq "mobile"].primary', value: true }]) as any;
    assert.deepEqual(created.phoneNumbers, [{ value: '+1', type: 'work', primary: false }, { type: 'mobile', primary: true }], 'a value the filter pins down is created primary');
    const again = patch([{ op: 'add', path: 'emails', value: [{ value: 'ALICE@home.example', primary: true }] }]) as any;
    assert.deepEqual(primaries(again), ['ALICE@home.example'], 'an existing value given again is updated (and made primary), not added twice');
    assert.equal(again.emails.length, 2);
    const okta = patch([{ op: 'replace', value: { emails: [{ value: 'z@x.example', type: 'work', primary: true }] } }]) as any;
    assert.deepEqual(okta.emails, [{ value: 'z@x.example', type: 'work', primary: true }]);
    // Two primaries from one operation, or in a whole body, are still refused.
    fails([{ op: 'add', path: 'emails', value: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: 'True' }] }], 'invalidValue', /at most one value of emails may be primary/);
    fails([{ op: 'replace', path: 'emails', value: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }], 'invalidValue', /at most one/);
    fails([{ op: 'replace', path: 'emails[value ew "example"].primary', value: true }], 'invalidValue', /the filter selects 2 values of emails; at most one may be primary/);
    assert.throws(() => cleanDocument(USER_TYPE, { userName: 'a', emails: [{ value: 'a@x.example', primary: true }, { value: 'b@x.example', primary: true }] }), /at most one value may be primary/);
  });

  it('group members: add by value arrays, remove by filter and by value arrays', () => {
    const g = cleanDocument(GROUP_TYPE, { displayName: 'claresia-admins', members: [{ value: 'usr_1' }, { value: 'usr_2' }] });
    const ops = (o: unknown[]) => readPatchBody({ schemas: [PATCH_OP], Operations: o });
    let out = applyPatch(GROUP_TYPE, g, ops([{ op: 'add', path: 'members', value: [{ value: 'usr_3', display: 'c' }, { value: 'usr_1' }] }])) as any;
    assert.deepEqual(out.members.map((m: any) => m.value), ['usr_1', 'usr_2', 'usr_3']);
    out = applyPatch(GROUP_TYPE, out, ops([{ op: 'Remove', path: 'members[value eq "usr_2"]' }])) as any;
    assert.deepEqual(out.members.map((m: any) => m.value), ['usr_1', 'usr_3']);
    out = applyPatch(GROUP_TYPE, out, ops([{ op: 'Remove', path: 'members', value: [{ value: 'usr_1' }] }])) as any;
    assert.deepEqual(out.members.map((m: any) => m.value), ['usr_3']);
    out = applyPatch(GROUP_TYPE, out, ops([{ op: 'Replace', path: 'displayName', value: 'claresia-auditors' }])) as any;
    assert.equal(out.displayName, 'claresia-auditors');
    out = applyPatch(GROUP_TYPE, out, ops([{ op: 'remove', path: 'members' }])) as any;
    assert.equal(out.members, undefined);
  });

  it('refuses paths to nowhere, read-only targets and bad values, naming them', () => {
    fails([{ op: 'replace', path: 'shoeSize', value: '42' }], 'invalidPath', /no attribute "shoeSize"/);
    fails([{ op: 'replace', path: 'name.shoe', value: 'x' }], 'invalidPath');
    fails([{ op: 'replace', path: 'emails[type eq "work"].shoe', value: 'x' }], 'invalidPath', /no sub-attribute "shoe"/);
    fails([{ op: 'replace', path: 'title[value eq "x"]', value: 'x' }], 'invalidPath', /not multi-valued/);
    fails([{ op: 'replace', path: 'emails[type eq ]', value: 'x' }], 'invalidPath');
    fails([{ op: 'replace', path: 'id', value: 'usr_2' }], 'mutability', /read-only/);
    fails([{ op: 'add', path: 'groups', value: [{ value: 'grp_1' }] }], 'mutability');
    fails([{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }], 'mutability');
    fails([{ op: 'remove', path: 'userName' }], 'mutability', /required/);
    fails([{ op: 'remove' }], 'noTarget');
    fails([{ op: 'replace', path: 'emails[value co "nobody"].type', value: 'work' }], 'noTarget');
    fails([{ op: 'replace', path: 'active', value: 'perhaps' }], 'invalidValue', /active must be a boolean/);
    fails([{ op: 'replace', path: 'timezone', value: 'Mars/Olympus_Mons' }], 'invalidValue', /IANA time zone/);
    fails([{ op: 'replace', path: 'preferredLanguage', value: 'not a language' }], 'invalidValue', /language tag/);
    fails([{ op: 'replace', path: 'userName', value: 42 }], 'invalidValue', /userName must be a string/);
    fails([{ op: 'replace', path: 'emails', value: [{ value: 'a@b.c', primary: true }, { value: 'd@e.f', primary: true }] }], 'invalidValue', /primary/);
    fails([{ op: 'replace', value: 'x' }], 'invalidValue', /must be an object/);
    fails([{ op: 'replace', value: { 'urn:nope:1.0:Thing': { a: 1 } } }], 'invalidPath');
  });

  it('checks the PatchOp envelope', () => {
    const bad: Array<[unknown, string, RegExp]> = [
      [[], 'invalidSyntax', /JSON object/],
      [{ Operations: [{ op: 'add', value: {} }] }, 'invalidSyntax', /schemas/],
      [{ schemas: [PATCH_OP] }, 'invalidSyntax', /Operations/],
      [{ schemas: [PATCH_OP], Operations: [] }, 'invalidSyntax', /non-empty/],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'merge', value: {} }] }, 'invalidSyntax', /Operations\[0\]\.op/],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 3, value: {} }] }, 'invalidPath', /path must be a string/],
      [{ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'title' }] }, 'invalidValue', /value is required/],
      [{ schemas: [PATCH_OP], Operations: Array.from({ length: 1001 }, () => ({ op: 'remove', path: 'title' })) }, 'invalidValue', /at most 1000/],
    ];
    for (const [body, type, detail] of bad) {
      assert.throws(() => readPatchBody(body), (e: unknown) => e instanceof ScimError && e.scimType === type && detail.test(e.message), JSON.stringify(body).slice(0, 80));
    }
  });

  it('validates a whole document: timezones, languages, types', () => {
    assert.equal(cleanDocument(USER_TYPE, { userName: 'a', timezone: 'America/Los_Angeles', preferredLanguage: 'en-US, fr;q=0.5', locale: 'fr-CA' }).timezone, 'America/Los_Angeles');
    assert.equal(cleanDocument(USER_TYPE, { userName: 'a', timezone: 'Asia/Calcutta' }).timezone, 'Asia/Calcutta', 'IANA links are valid');
    assert.equal(cleanDocument(USER_TYPE, { userName: 'a', password: 'hunter2' }).password, undefined, 'a password is never kept');
    assert.throws(() => cleanDocument(USER_TYPE, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:evil:1'], userName: 'a' }), (e: any) => e.scimType === 'invalidSyntax' && /urn:evil:1/.test(e.message));
    assert.throws(() => cleanDocument(USER_TYPE, { schemas: [ENTERPRISE], userName: 'a' }), (e: any) => e.scimType === 'invalidSyntax');
    assert.throws(() => cleanDocument(USER_TYPE, { name: { givenName: 'x' } }), (e: any) => e.scimType === 'invalidValue' && /userName is required/.test(e.message));
    assert.throws(() => cleanDocument(USER_TYPE, { userName: 'a', emails: 'a@b.c' }), (e: any) => /emails must be an array/.test(e.message));
    assert.throws(() => cleanDocument(USER_TYPE, { userName: 'a', emails: [{ value: 'not-an-email' }] }), (e: any) => /emails\[0\]\.value must be an email/.test(e.message));
    assert.throws(() => cleanDocument(USER_TYPE, { userName: 'a\u0000b' }), (e: any) => /NUL/.test(e.message));
  });

  it('fuzz: generated operations either apply to a valid document or are a 400 with a scimType', () => {
    const paths = fc.constantFrom(
      undefined, 'active', 'userName', 'title', 'name', 'name.givenName', 'emails', 'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[value co "@"].primary',
      'phoneNumbers[type eq "mobile"].value', 'addresses[type eq "work"].locality', 'groups', 'id', 'meta.version', 'timezone', 'preferredLanguage', 'password',
      `${ENTERPRISE}:manager`, `${ENTERPRISE}:manager.value`, `${ENTERPRISE}:department`, 'urn:x:y', 'emails[', 'emails[type eq "work"]]', 'x.y.z', '', 'members', 'externalId',
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('False', 'TRUE', 'Europe/Paris', 'en-US', 'a@b.example', '\u0000', { active: 'false' }, { value: 'x@y.example', type: 'work' }, [{ value: 'z@y.example' }]),
    );
    const op = fc.record({ op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'Remove', 'ADD', 'copy'), path: paths, value: fc.option(value, { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (raw) => {
        try {
          const ops = readPatchBody({ schemas: [PATCH_OP], Operations: raw.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))) });
          const out = applyPatch(USER_TYPE, base(), ops);
          // The result is itself a valid, canonical document.
          assert.deepEqual(cleanDocument(USER_TYPE, out), out);
        } catch (err) {
          return err instanceof ScimError && err.status === 400 && err.scimType !== undefined;
        }
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  it('fuzz: any JSON as a PATCH body is a 400 with a scimType, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (body) => {
        try {
          applyPatch(USER_TYPE, base(), readPatchBody(body));
        } catch (err) {
          return err instanceof ScimError && err.status === 400;
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});
