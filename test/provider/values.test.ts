/** The cty value codec: msgpack as Terraform writes it (unknowns, nulls, nesting) and JSON as state stores it. */
import assert from 'node:assert/strict';
import { decode as rawDecode, encode as rawEncode, ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import { decodeJson, decodeMsgpack, encodeJson, encodeMsgpack, UNKNOWN, type CtyType, type Value } from '@claresia/terraform-provider';

const T: CtyType = {
  object: {
    name: 'string',
    count: 'number',
    enabled: 'bool',
    tags: { list: 'string' },
    skills: { set: 'string' },
    labels: { map: 'string' },
    nested: { object: { url: 'string', ports: { list: 'number' } } },
    items: { list: { object: { key: 'string', value: 'number' } } },
  },
};

describe('provider values: msgpack', () => {
  it('round-trips nulls, unknowns and every kind of collection', () => {
    const v: Value = {
      name: 'acme',
      count: 3.5,
      enabled: true,
      tags: ['a', UNKNOWN, 'c'],
      skills: [],
      labels: { env: 'prod', team: UNKNOWN },
      nested: { url: null, ports: [443, 8443] },
      items: [{ key: 'k', value: UNKNOWN }],
    };
    assert.deepEqual(decodeMsgpack(T, encodeMsgpack(T, v)), v);
  });

  it('writes an unknown as the one-byte extension 0 and a null as nil', () => {
    const bytes = encodeMsgpack({ object: { a: 'string', b: 'string' } }, { a: UNKNOWN, b: null });
    // fixmap(2) "a" fixext1(type 0, 0x00) "b" nil
    assert.deepEqual([...bytes], [0x82, 0xa1, 0x61, 0xd4, 0x00, 0x00, 0xa1, 0x62, 0xc0]);
  });

  it('reads a refined unknown (extension 12) as unknown and a whole unknown object', () => {
    const refined = rawEncode({ a: new ExtData(12, new Uint8Array([0x81, 0x01, 0xc3])), b: 'x' });
    assert.deepEqual(decodeMsgpack({ object: { a: 'string', b: 'string' } }, refined), { a: UNKNOWN, b: 'x' });
    assert.equal(decodeMsgpack(T, rawEncode(new ExtData(0, new Uint8Array([0])))), UNKNOWN);
  });

  it('fills attributes missing from an object with null and always writes every attribute', () => {
    const t: CtyType = { object: { a: 'string', b: 'number' } };
    assert.deepEqual(decodeMsgpack(t, rawEncode({ a: 'x' })), { a: 'x', b: null });
    assert.deepEqual(rawDecode(encodeMsgpack(t, { a: 'x' } as Value)), { a: 'x', b: null });
  });

  it('accepts numbers cty wrote as decimal strings', () => {
    assert.deepEqual(decodeMsgpack({ object: { n: 'number' } }, rawEncode({ n: '12345678901234567890' })), { n: 12345678901234567890 });
  });

  it('rejects a value of the wrong type with its path', () => {
    assert.throws(() => decodeMsgpack(T, rawEncode({ nested: { ports: ['x'] } })), /nested\.ports\[0\]: expected number/);
    assert.throws(() => decodeMsgpack(T, rawEncode({ tags: 'not-a-list' })), /tags: expected a list/);
  });

  it('an empty DynamicValue is null', () => {
    assert.equal(decodeMsgpack(T, new Uint8Array(0)), null);
  });

  it('round-trips arbitrary known values (property)', () => {
    const scalar = fc.oneof(fc.constant(null), fc.string(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), scalar), fc.array(fc.oneof(fc.constant(null), fc.string())), (labels, tags) => {
        const t: CtyType = { object: { labels: { map: 'string' }, tags: { list: 'string' } } };
        const v = { labels: Object.fromEntries(Object.entries(labels).map(([k, x]) => [k, x === null ? null : String(x)])), tags };
        assert.deepEqual(decodeMsgpack(t, encodeMsgpack(t, v)), v);
      }),
    );
  });
});

describe('provider values: JSON', () => {
  it('reads state JSON against the type and writes it back', () => {
    const json = '{"name":"acme","count":2,"enabled":false,"tags":null,"skills":["x"],"labels":{},"nested":null,"items":[]}';
    const v = decodeJson(T, json);
    assert.deepEqual(v, { name: 'acme', count: 2, enabled: false, tags: null, skills: ['x'], labels: {}, nested: null, items: [] });
    assert.deepEqual(JSON.parse(Buffer.from(encodeJson(T, v)).toString()), JSON.parse(json));
  });

  it('refuses to write an unknown value as JSON', () => {
    assert.throws(() => encodeJson({ object: { a: 'string' } }, { a: UNKNOWN }), /unknown value has no JSON form/);
  });
});
