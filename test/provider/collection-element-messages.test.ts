/**
 * Plan-time errors on one entry of a collection, through the tfplugin6 ValidateResourceConfig
 * handler. Terraform cannot point a diagnostic into a set (the path stops at the attribute and
 * the whole set is highlighted), so the message names the bad entry by its value; the path stays
 * at the set. A sensitive collection's entries are never shown.
 */
import assert from 'node:assert/strict';
import { resourceByName, type ResourceDef } from '@claresia/catalog';
import { createProvider, encodeMsgpack, resourceType, type ObjectValue } from '@claresia/terraform-provider';

const dv = (t: Parameters<typeof encodeMsgpack>[0], v: any) => ({ msgpack: encodeMsgpack(t, v) });

interface Diag {
  summary: string;
  detail: string;
  attribute: { steps: Array<Record<string, unknown>> };
}

/** ValidateResourceConfig's diagnostics for `values` over an otherwise empty configuration. */
async function validate(def: ResourceDef, values: ObjectValue, provider = createProvider()): Promise<Diag[]> {
  const T = resourceType(def);
  const blank = Object.fromEntries(Object.keys(T.object).map((k) => [k, null])) as ObjectValue;
  const res = await provider.ValidateResourceConfig!({ type_name: `claresia_${def.name}`, config: dv(T, { ...blank, ...values }), client_capabilities: { write_only_attributes_allowed: true } });
  return (res.diagnostics as Diag[] | undefined) ?? [];
}

describe('provider: a plan-time error on one entry of a collection names the entry', () => {
  it('a skill id that is no skill id, in the middle of a set, is quoted; the others are not, and the path is the set', async () => {
    const skills = ['claresia.core.email-drafting', 'claresia.gatespic.call_recap', 'claresia.gatespic.pipeline-hygiene'];
    const d = await validate(resourceByName('skill_entitlement'), { archetype: 'legal', skills });
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0]!.summary, 'Invalid value for skills');
    assert.equal(d[0]!.detail, 'The element "claresia.gatespic.call_recap" must be a skill id such as claresia.exec.web-research (claresia.<pack>.<skill>).');
    assert.deepEqual(d[0]!.attribute.steps, [{ attribute_name: 'skills' }]);
  });

  it('two bad allowlist entries give two errors, each naming its own entry as written', async () => {
    const d = await validate(resourceByName('scim_directory'), { idp: 'okta', ip_allowlist: ['203.0.113.0/24', '10.0.0.1/8', '::1/129'] });
    assert.equal(d.length, 2, JSON.stringify(d));
    assert.match(d[0]!.detail, /^The element "10\.0\.0\.1\/8" has host bits set; write the network address/);
    assert.match(d[1]!.detail, /^The element "::1\/129" must be a CIDR block such as 203\.0\.113\.0\/24\.$/);
    for (const x of d) {
      assert.deepEqual(x.attribute.steps, [{ attribute_name: 'ip_allowlist' }]);
      assert.doesNotMatch(x.detail, /203\.0\.113\.0\/24"/, 'the good entry is not quoted');
    }
  });

  it('a blocked skill of a cowork, and an unknown webhook event, named once (no second "got")', async () => {
    const cw = await validate(resourceByName('cowork'), { pack: 'go-to-market', blocked_skills: ['claresia.exec.web-research', 'Web Research'] });
    assert.deepEqual(
      cw.map((x) => [x.detail, x.attribute.steps]),
      [['The element "Web Research" must be a skill id such as claresia.exec.web-research (claresia.<pack>.<skill>).', [{ attribute_name: 'blocked_skills' }]]],
    );
    const wh = await validate(resourceByName('webhook'), { url: 'https://hooks.example.com/x', events: ['user.created', 'user.exploded'], secret: 'whsec-0123456789abcdef0123456789abcdef' });
    assert.equal(wh.length, 1, JSON.stringify(wh));
    assert.match(wh[0]!.detail, /^The element "user\.exploded" must be one of "user\.created", /);
    assert.doesNotMatch(wh[0]!.detail, /got/);
    assert.deepEqual(wh[0]!.attribute.steps, [{ attribute_name: 'events' }]);
  });

  it("a map entry keeps its key in the path and is named by it (review r9 F6); a scalar's message is as before", async () => {
    const long = `2026-11-30T09:00:00Z/${'x'.repeat(600)}`;
    const d = await validate(resourceByName('roster_sync'), { triggers: { rotated_at: long } });
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.equal(d[0]!.detail, 'The value of triggers["rotated_at"] must be at most 500 characters long.');
    assert.deepEqual(d[0]!.attribute.steps, [{ attribute_name: 'triggers' }, { element_key_string: 'rotated_at' }]);
    const scalar = await validate(resourceByName('group_mapping'), { group: 'administrators', role: 'member' });
    assert.equal(scalar[0]!.detail, 'The value must be an RBAC group: claresia- and a name, such as claresia-data-pilot.');
    const enumScalar = await validate(resourceByName('group_mapping'), { group: 'claresia-x', role: 'owner' });
    assert.match(enumScalar[0]!.detail, /^The value must be one of "tenant_admin", .*; got "owner"\.$/);
  });

  it('never quotes an entry of a sensitive set, nor a sensitive enum value', async () => {
    const def: ResourceDef = {
      name: 'probe',
      title: 'Probe',
      description: 'A synthetic resource with secret collections.',
      auth: 'tenant',
      schemaVersion: 1,
      idAttribute: 'id',
      api: { create: { method: 'POST', path: '/p' }, read: { method: 'GET', path: '/p/{id}' }, delete: { method: 'DELETE', path: '/p/{id}' } },
      importId: { format: '{id}', example: 'p_1' },
      attributes: {
        id: { type: 'string', mode: 'computed', description: 'id' },
        recovery_codes: { type: { set: 'string' }, mode: 'optional', sensitive: true, minLength: 12, description: 'Codes.' },
        pins: { type: { map: 'string' }, mode: 'optional', sensitive: true, pattern: '^[0-9]{6}$', description: 'PINs.' },
        tier: { type: 'string', mode: 'optional', sensitive: true, enum: ['gold', 'silver'], description: 'A secret tier.' },
      },
      terraformExample: '',
    };
    const d = await validate(def, { recovery_codes: ['0123456789abcdef', 'hunter2'], pins: { alice: 'pin-s3cret' }, tier: 'platinum-s3cret' }, createProvider([def], []));
    assert.deepEqual(
      d.map((x) => x.detail),
      ['The value must be at least 12 characters long.', 'The value must match ^[0-9]{6}$.', 'The value must be one of "gold", "silver".'],
    );
    assert.ok(d.every((x) => !/hunter2|s3cret|0123456789abcdef/.test(JSON.stringify(x))), JSON.stringify(d));
  });
});
