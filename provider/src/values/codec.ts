/**
 * DynamicValue encodings: msgpack (what Terraform sends and expects for values) and JSON (what
 * it stores in state files, handed back in UpgradeResourceState). Both are read against a type,
 * so objects always carry every attribute and numbers come back as numbers.
 */
import { UNKNOWN, type CtyType, type ObjectValue, type Value } from './cty.js';
import { MsgpackError, readMsgpack, writeMsgpack } from './msgpack.js';

export class ValueError extends Error {}

function conform(t: CtyType, v: unknown, where: string): Value {
  if (v === null || v === undefined) return null;
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        break;
      case 'number':
        if (typeof v === 'number') return v;
        if (typeof v === 'bigint') return Number(v);
        // cty writes numbers it cannot hold exactly in a float64 as decimal strings.
        if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
        break;
      case 'bool':
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === 'false') return v === 'true';
        break;
    }
    throw new ValueError(`${where || 'value'}: expected ${t}, got ${typeof v}`);
  }
  if ('list' in t || 'set' in t) {
    if (!Array.isArray(v)) throw new ValueError(`${where || 'value'}: expected a ${'list' in t ? 'list' : 'set'}`);
    const et = 'list' in t ? t.list : t.set;
    return v.map((x, i) => conform(et, x, `${where}[${i}]`));
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValueError(`${where || 'value'}: expected an object`);
  const src = v as Record<string, unknown>;
  const out: ObjectValue = {};
  if ('map' in t) {
    for (const [k, x] of Object.entries(src)) out[k] = conform(t.map, x, `${where}["${k}"]`);
  } else {
    for (const [k, at] of Object.entries(t.object)) out[k] = conform(at, src[k], where ? `${where}.${k}` : k);
  }
  return out;
}

function toWire(t: CtyType, v: Value): unknown {
  if (v === null || v === UNKNOWN) return v;
  if (typeof t === 'string') return v;
  if ('list' in t) return (v as Value[]).map((x) => toWire(t.list, x));
  if ('set' in t) return (v as Value[]).map((x) => toWire(t.set, x));
  const src = v as ObjectValue;
  if ('map' in t) return Object.fromEntries(Object.entries(src).map(([k, x]) => [k, toWire(t.map, x)]));
  return Object.fromEntries(Object.entries(t.object).map(([k, at]) => [k, toWire(at, src[k] ?? null)]));
}

export function encodeMsgpack(t: CtyType, v: Value): Uint8Array {
  return writeMsgpack(t, v, conform);
}

export function decodeMsgpack(t: CtyType, bytes: Uint8Array): Value {
  if (bytes.length === 0) return null;
  try {
    return readMsgpack(t, bytes, conform);
  } catch (err) {
    throw err instanceof MsgpackError ? new ValueError(err.message) : err;
  }
}

/** A value already parsed from JSON (state as Terraform stored it), read against the type. */
export function fromJsonValue(t: CtyType, v: unknown): Value {
  return conform(t, v, '');
}

export function decodeJson(t: CtyType, bytes: Uint8Array | string): Value {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  if (text.trim() === '') return null;
  return conform(t, JSON.parse(text), '');
}

export function encodeJson(t: CtyType, v: Value): Uint8Array {
  return Buffer.from(
    JSON.stringify(toWire(t, conform(t, v, '')), (_k, x) => {
      if (x === UNKNOWN) throw new ValueError('an unknown value has no JSON form');
      return x;
    }),
  );
}

/** Reads a DynamicValue in whichever encoding Terraform chose. */
export function decodeDynamic(t: CtyType, dv: { msgpack?: Uint8Array; json?: Uint8Array } | undefined): Value {
  if (!dv) return null;
  if (dv.msgpack && dv.msgpack.length > 0) return decodeMsgpack(t, dv.msgpack);
  if (dv.json && dv.json.length > 0) return decodeJson(t, dv.json);
  return null;
}

export function dynamic(t: CtyType, v: Value): { msgpack: Uint8Array } {
  return { msgpack: encodeMsgpack(t, v) };
}
