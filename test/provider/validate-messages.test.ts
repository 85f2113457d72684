/**
 * Plan-time messages in words a user reads once (review r9 F6): a map entry is named by its key,
 * which is how the configuration finds it, never by its (long, wrong) value; a value the API
 * trims to nothing is "empty or only spaces", not "at least 1 characters".
 */
import assert from 'node:assert/strict';
import { resourceByName, type ResourceDef } from '@claresia/catalog';
import { createProvider, encodeMsgpack, resourceType, type ObjectValue } from '@claresia/terraform-provider';

const dv = (t: Parameters<typeof encodeMsgpack>[0], v: any) => ({ msgpack: encodeMsgpack(t, v) });

async function details(def: ResourceDef, values: ObjectValue, provider = createProvider()): Promise<string[]> {
  const T = resourceType(def);
  const blank = Object.fromEntries(Object.keys(T.object).map((k) => [k, null])) as ObjectValue;
  const res = await provider.ValidateResourceConfig!({ type_name: `claresia_${def.name}`, config: dv(T, { ...blank, ...values }), client_capabilities: { write_only_attributes_allowed: true } });
  return ((res.diagnostics as Array<{ detail: string }> | undefined) ?? []).map((d) => d.detail);
}

const connector = { platform: 'claude', credential: 'sk-ant-0123456789', credential_wo_version: 1 };

describe('provider: plan-time messages (review r9 F6)', () => {
  it('names a too-long trigger by its key, and quotes none of its value', async () => {
    const value = 'y'.repeat(501);
    const d = await details(resourceByName('roster_sync'), { triggers: { a: value, b: 'fine' } });
    assert.deepEqual(d, ['The value of triggers["a"] must be at most 500 characters long.']);
  });

  it('a key with a quote or a dot is written as HCL would index it', async () => {
    const d = await details(resourceByName('roster_sync'), { triggers: { 'release "1.2"': 'z'.repeat(501) } });
    assert.deepEqual(d, ['The value of triggers["release \\"1.2\\""] must be at most 500 characters long.']);
  });

  it('a name of spaces only must not be empty or only spaces', async () => {
    assert.deepEqual(await details(resourceByName('llm_connector'), { ...connector, name: '   ' }), ['The value must not be empty or only spaces.']);
  });

  it('an empty name must not be empty, and a length of one is "1 character"', async () => {
    assert.deepEqual(await details(resourceByName('llm_connector'), { ...connector, name: '' }), ['The value must not be empty.']);
    const def: ResourceDef = {
      ...resourceByName('group_mapping'),
      name: 'probe',
      attributes: { id: { type: 'string', mode: 'computed', description: 'id' }, initial: { type: 'string', mode: 'optional', maxLength: 1, minLength: 1, description: 'One letter.' } },
      rules: [],
    };
    assert.deepEqual(await details(def, { initial: 'ab' }, createProvider([def], [])), ['The value must be at most 1 character long.']);
  });

  it('a value too short for a longer minimum still says how long it must be', async () => {
    const d = await details(resourceByName('llm_connector'), { ...connector, name: 'x', credential: 'short' });
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.match(d[0]!, /must be at least 8 characters long\.$/);
  });
});
