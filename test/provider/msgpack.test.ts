/**
 * The provider's own msgpack reader and writer, checked against an independent msgpack
 * implementation (@msgpack/msgpack): the same bytes for the same value, the same value from
 * the same bytes, over generated types and values and at every format boundary.
 */
import assert from 'node:assert/strict';
import { decode as rawDecode, encode as rawEncode, ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import { decodeMsgpack, encodeMsgpack, UNKNOWN, type CtyType, type Value } from '@claresia/terraform-provider';

const UNKNOWN_EXT = new ExtData(0, new Uint8Array([0]));

/** The value as a general msgpack library sees it: every object attribute present, unknowns as extension 0. */
function wire(t: CtyType, v: Value): unknown {
  if (v === null) return null;
  if (v === UNKNOWN) return UNKNOWN_EXT;
  if (typeof t === 'string') return v;
  if ('list' in t) return (v as Value[]).map((x) => wire(t.list, x));
  if ('set' in t) return (v as Value[]).map((x) => wire(t.set, x));
  if ('map' in t) return Object.fromEntries(Object.entries(v as Record<string, Value>).map(([k, x]) => [k, wire(t.map, x)]));
  return Object.fromEntries(Object.entries(t.object).map(([k, at]) => [k, wire(at, (v as Record<string, Value>)[k] ?? null)]));
}

const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__proto__');
const ctyType: fc.Arbitrary<CtyType> = fc.letrec<{ t: CtyType }>((tie) => ({
  t: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'type' },
    fc.constantFrom<CtyType>('string', 'number', 'bool'),
    tie('t').map((t) => ({ list: t })),
    tie('t').map((t) => ({ set: t })),
    tie('t').map((t) => ({ map: t })),
    fc.dictionary(name, tie('t'), { maxKeys: 5, noNullPrototype: true }).map((o) => ({ object: o })),
  ),
})).t;

function valueOf(t: CtyType): fc.Arbitrary<Value> {
  const absent = fc.constantFrom<Value>(null, UNKNOWN);
  let known: fc.Arbitrary<Value>;
  if (t === 'string') known = fc.string({ unit: 'binary', maxLength: 40 });
  else if (t === 'number') {
    known = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
      fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1),
      // cty has no negative zero, and @msgpack/msgpack writes -0 as the integer 0: read back, it is 0.
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    );
  } else if (t === 'bool') known = fc.boolean();
  else if ('list' in t) known = fc.array(valueOf(t.list), { maxLength: 4 });
  else if ('set' in t) known = fc.array(valueOf(t.set), { maxLength: 4 });
  else if ('map' in t) known = fc.dictionary(name, valueOf(t.map), { maxKeys: 4, noNullPrototype: true });
  else known = fc.record(Object.fromEntries(Object.entries(t.object).map(([k, at]) => [k, valueOf(at)])) as Record<string, fc.Arbitrary<Value>>, { noNullPrototype: true }) as fc.Arbitrary<Value>;
  return fc.oneof({ weight: 1, arbitrary: absent }, { weight: 6, arbitrary: known }) as fc.Arbitrary<Value>;
}

const typedValue: fc.Arbitrary<{ t: CtyType; v: Value }> = ctyType.chain((t) => valueOf(t).map((v) => ({ t, v })));

describe('provider values: msgpack against an independent implementation', () => {
  it('writes exactly the bytes a general msgpack library writes for the same value (property)', () => {
    fc.assert(
      fc.property(typedValue, ({ t, v }) => {
        assert.deepEqual(Buffer.from(encodeMsgpack(t, v)), Buffer.from(rawEncode(wire(t, v))));
      }),
      { numRuns: 400 },
    );
  });

  it('reads what a general msgpack library writes back to the same value (property)', () => {
    fc.assert(
      fc.property(typedValue, ({ t, v }) => {
        assert.deepEqual(decodeMsgpack(t, rawEncode(wire(t, v))), v);
      }),
      { numRuns: 400 },
    );
  });

  it('reads every number format, including float32 and 64-bit integers', () => {
    const num = (bytes: number[]) => decodeMsgpack('number', Uint8Array.from(bytes));
    assert.equal(num([0xca, 0x3f, 0xc0, 0x00, 0x00]), 1.5);
    assert.equal(num([0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 2 ** 53 - 1);
    assert.equal(num([0xd3, 0xff, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]), -(2 ** 53) + 1);
    assert.equal(num([0xd0, 0x80]), -128);
    assert.equal(num([0xff]), -1);
  });

  it('reads long strings, collections past 15 and 65535 entries, and non-ASCII text', () => {
    const t: CtyType = { object: { s: 'string', l: { list: 'number' }, m: { map: 'string' } } };
    const v = {
      s: 'é'.repeat(40_000) + ' ✓ 😀',
      l: Array.from({ length: 70_000 }, (_, i) => i),
      m: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])),
    };
    assert.deepEqual(decodeMsgpack(t, rawEncode(v)), v);
    assert.deepEqual(Buffer.from(encodeMsgpack(t, v)), Buffer.from(rawEncode(v)));
  });

  it('converts what cty may send in another form, with the same rules as JSON state', () => {
    const t: CtyType = { object: { s: 'string', n: 'number', b: 'bool' } };
    assert.deepEqual(decodeMsgpack(t, rawEncode({ s: 42, n: '12.5', b: 'true', extra: [1, { x: 2 }] })), { s: '42', n: 12.5, b: true });
  });

  it('keeps a __proto__ map key as a plain key', () => {
    const v = decodeMsgpack({ map: 'string' }, Uint8Array.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0xa1, 0x78])) as Record<string, Value>;
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });

  it('rejects bytes that are no msgpack value, are cut short, or run on', () => {
    assert.throws(() => decodeMsgpack('string', Uint8Array.from([0xc1])), /starts no value/);
    assert.throws(() => decodeMsgpack('string', Uint8Array.from([0xa5, 0x61])), /truncated/);
    assert.throws(() => decodeMsgpack('string', Uint8Array.from([0xa1, 0x61, 0xc0])), /1 bytes after the value/);
    assert.throws(() => decodeMsgpack('string', rawEncode(new Uint8Array([1, 2]))), /expected string, got object/);
    assert.throws(() => decodeMsgpack('string', rawEncode(new ExtData(5, new Uint8Array([1])))), /expected string/);
  });

  it('refuses to write a value that does not fit its type, naming the path', () => {
    const t: CtyType = { object: { ports: { list: 'number' } } };
    assert.throws(() => encodeMsgpack(t, { ports: ['x'] }), /ports\[0\]: expected number/);
    assert.throws(() => encodeMsgpack(t, { ports: 'x' }), /ports: expected a list/);
    assert.deepEqual(rawDecode(encodeMsgpack({ object: { s: 'string' } }, { s: 7 })), { s: '7' });
  });
});
