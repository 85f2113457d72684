/**
 * msgpack as Terraform's cty writes and reads it, driven by the value's type: one pass from
 * bytes to a typed value and back, with no intermediate untyped tree. Every request of a plan
 * carries two or three of these, so a general-purpose msgpack library's per-value machinery
 * was a large share of the provider's time per RPC.
 *
 * Anything the type does not expect at some position (a number where a string is declared, a
 * refined unknown, a wrong kind of collection) is read generically and handed to `conform`,
 * which converts it the way cty does or throws a ValueError naming the path: the typed reader
 * is a fast path with the same results, never a second set of rules.
 */
import { UNKNOWN, type CtyType, type ObjectValue, type Value } from './cty.js';

// cty writes an unknown value as extension 0; with refinements (Terraform 1.6+) as extension 12.
const EXT_UNKNOWN = 0;
const EXT_REFINED_UNKNOWN = 12;

export type Conform = (t: CtyType, v: unknown, where: string) => Value;

export class MsgpackError extends Error {}

/** An extension value other than an unknown: only ever handed to `conform`, which rejects it. */
class Extension {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

const at = (where: string, k: string) => (where ? `${where}.${k}` : k);

/** Sets a key read from the wire; a `__proto__` key stays a plain key instead of a prototype. */
function put(out: Record<string, unknown>, k: string, v: unknown) {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/** `conform` throws for what it cannot convert; a value it passes back unchanged is a bug here. */
function reject(t: CtyType, v: unknown, where: string, conform: Conform): never {
  conform(t, v, where);
  throw new MsgpackError(`${where || 'value'}: cannot be written as ${JSON.stringify(t)}`);
}

/*
 * Buffer's own UTF-8 methods, without the argument handling of toString/write around them. The
 * provider runs its calls without V8's optimizing compiler (plugin/tiering.ts), where a
 * byte-by-byte loop in JavaScript costs ~3x these native calls (~0.25 us per short string).
 * Undocumented, but on Buffer.prototype in every Node release (protobufjs uses them too).
 */
interface Utf8Buffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length?: number): number;
}

/**
 * An object type prepared once: its attributes in the order cty writes them (sorted by name)
 * with each name already msgpack-encoded, so reading a key that comes where expected is a
 * byte comparison and writing one a copy; and an all-null value in the type's own order, which
 * every value read starts from (one shape for all of them).
 */
interface Shape {
  names: string[];
  types: CtyType[];
  encoded: Uint8Array[];
  index: Map<string, number>;
  /** Positions in `names` in the type's own order: the order values are written in. */
  order: number[];
  blank: ObjectValue;
}

const shapes = new WeakMap<Record<string, CtyType>, Shape>();

function shapeOf(object: Record<string, CtyType>): Shape {
  let shape = shapes.get(object);
  if (!shape) {
    const own = Object.keys(object);
    const names = [...own].sort();
    const blank: ObjectValue = {};
    for (const k of own) blank[k] = null;
    const w = new Writer();
    shape = {
      names,
      types: names.map((k) => object[k]!),
      encoded: names.map((k) => {
        w.reset();
        w.str(k);
        return Uint8Array.prototype.slice.call(w.buf, 0, w.pos);
      }),
      index: new Map(names.map((k, i) => [k, i])),
      order: own.map((k) => names.indexOf(k)),
      blank,
    };
    shapes.set(object, shape);
  }
  return shape;
}

/** What `scalar` returns when the bytes are not the plain form of the type. */
const OTHER = Symbol('other');

// ---------------------------------------------------------------- reading

class Reader {
  pos = 0;
  private readonly view: DataView;
  private readonly buf: Utf8Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Utf8Buffer;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Skips `bytes` when they are what comes next. */
  take(bytes: Uint8Array): boolean {
    const buf = this.buf;
    const p = this.pos;
    const n = bytes.length;
    if (p + n > buf.length) return false;
    for (let i = 0; i < n; i++) if (buf[p + i] !== bytes[i]) return false;
    this.pos = p + n;
    return true;
  }

  private need(n: number) {
    if (this.pos + n > this.buf.length) throw new MsgpackError(`msgpack: truncated value at byte ${this.pos}`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  str(n: number): string {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    return this.buf.utf8Slice(start, start + n);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  number(head: number): number {
    const v = this.view;
    let n: number;
    switch (head) {
      case 0xca:
        this.need(4);
        n = v.getFloat32(this.pos);
        this.pos += 4;
        return n;
      case 0xcb:
        this.need(8);
        n = v.getFloat64(this.pos);
        this.pos += 8;
        return n;
      case 0xcc:
        return this.byte();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        this.need(8);
        n = v.getUint32(this.pos) * 2 ** 32 + v.getUint32(this.pos + 4);
        this.pos += 8;
        return n;
      case 0xd0:
        this.need(1);
        return v.getInt8(this.pos++);
      case 0xd1:
        this.need(2);
        n = v.getInt16(this.pos);
        this.pos += 2;
        return n;
      case 0xd2:
        this.need(4);
        n = v.getInt32(this.pos);
        this.pos += 4;
        return n;
      default: // 0xd3
        this.need(8);
        n = v.getInt32(this.pos) * 2 ** 32 + v.getUint32(this.pos + 4);
        this.pos += 8;
        return n;
    }
  }

  /** Length of a string whose head byte is `head`, or -1 when it is not a string. */
  strLength(head: number): number {
    if (head >= 0xa0 && head <= 0xbf) return head & 0x1f;
    if (head === 0xd9) return this.byte();
    if (head === 0xda) return this.u16();
    if (head === 0xdb) return this.u32();
    return -1;
  }

  arrayLength(head: number): number {
    if (head >= 0x90 && head <= 0x9f) return head & 0x0f;
    if (head === 0xdc) return this.u16();
    if (head === 0xdd) return this.u32();
    return -1;
  }

  mapLength(head: number): number {
    if (head >= 0x80 && head <= 0x8f) return head & 0x0f;
    if (head === 0xde) return this.u16();
    if (head === 0xdf) return this.u32();
    return -1;
  }

  /** An extension whose head byte is `head`, or undefined when it is not one. */
  extension(head: number): Extension | typeof UNKNOWN | undefined {
    let n: number;
    if (head >= 0xd4 && head <= 0xd8) n = 1 << (head - 0xd4);
    else if (head === 0xc7) n = this.byte();
    else if (head === 0xc8) n = this.u16();
    else if (head === 0xc9) n = this.u32();
    else return undefined;
    this.need(1);
    const type = this.view.getInt8(this.pos++);
    const data = this.bytes(n);
    return type === EXT_UNKNOWN || type === EXT_REFINED_UNKNOWN ? UNKNOWN : new Extension(type, data);
  }

  /** Any value, untyped: what `conform` gets when the type did not expect what is here. */
  any(head: number): unknown {
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    if (head === 0xc0) return null;
    if (head === 0xc2) return false;
    if (head === 0xc3) return true;
    if (head >= 0xca && head <= 0xd3) return this.number(head);
    let n = this.strLength(head);
    if (n >= 0) return this.str(n);
    n = this.arrayLength(head);
    if (n >= 0) {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.any(this.byte());
      return out;
    }
    n = this.mapLength(head);
    if (n >= 0) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = this.any(this.byte());
        put(out, String(k), this.any(this.byte()));
      }
      return out;
    }
    if (head >= 0xc4 && head <= 0xc6) return this.bytes(head === 0xc4 ? this.byte() : head === 0xc5 ? this.u16() : this.u32());
    const ext = this.extension(head);
    if (ext !== undefined) return ext;
    throw new MsgpackError(`msgpack: byte 0x${head.toString(16)} at ${this.pos - 1} starts no value`);
  }
}

/** A primitive in its plain form (null included), or OTHER for `conform` to judge. */
function scalar(r: Reader, t: 'string' | 'number' | 'bool', head: number): Value | typeof OTHER {
  if (head === 0xc0) return null;
  if (t === 'string') {
    const n = r.strLength(head);
    if (n >= 0) return r.str(n);
  } else if (t === 'number') {
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    if (head >= 0xca && head <= 0xd3) return r.number(head);
  } else if (head === 0xc2 || head === 0xc3) {
    return head === 0xc3;
  }
  return OTHER;
}

function readObject(r: Reader, object: Record<string, CtyType>, n: number, where: string, conform: Conform): ObjectValue {
  const shape = shapeOf(object);
  const { names, types, encoded } = shape;
  const out: ObjectValue = { ...shape.blank };
  let next = 0;
  for (let i = 0; i < n; i++) {
    // cty writes every attribute, sorted: the key is almost always the next one expected.
    let j = next < names.length && r.take(encoded[next]!) ? next : -1;
    if (j < 0) {
      const kh = r.byte();
      const kn = r.strLength(kh);
      j = shape.index.get(kn >= 0 ? r.str(kn) : String(r.any(kh))) ?? -1;
      // Attributes the type does not have are read and dropped.
      if (j < 0) {
        r.any(r.byte());
        continue;
      }
    }
    next = j + 1;
    const t = types[j]!;
    const name = names[j]!;
    if (typeof t === 'string') {
      // The path is built only for conform: most attributes are primitives in plain form.
      const head = r.byte();
      const v = scalar(r, t, head);
      out[name] = v !== OTHER ? v : conform(t, r.any(head), at(where, name));
    } else out[name] = readTyped(r, t, at(where, name), conform);
  }
  return out;
}

function readTyped(r: Reader, t: CtyType, where: string, conform: Conform): Value {
  const head = r.byte();
  if (head === 0xc0) return null;
  if (typeof t === 'string') {
    const v = scalar(r, t, head);
    return v !== OTHER ? v : conform(t, r.any(head), where);
  }
  if ('object' in t) {
    const n = r.mapLength(head);
    if (n < 0) return conform(t, r.any(head), where);
    return readObject(r, t.object, n, where, conform);
  }
  if ('map' in t) {
    const n = r.mapLength(head);
    if (n < 0) return conform(t, r.any(head), where);
    const out: ObjectValue = {};
    for (let i = 0; i < n; i++) {
      const kh = r.byte();
      const kn = r.strLength(kh);
      const k = kn >= 0 ? r.str(kn) : String(r.any(kh));
      put(out, k, readTyped(r, t.map, `${where}["${k}"]`, conform));
    }
    return out;
  }
  const n = r.arrayLength(head);
  if (n < 0) return conform(t, r.any(head), where);
  const et = 'list' in t ? t.list : t.set;
  const out: Value[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readTyped(r, et, `${where}[${i}]`, conform);
  return out;
}

/** Reads one msgpack value of type `t`; extra bytes after it are an error. */
export function readMsgpack(t: CtyType, bytes: Uint8Array, conform: Conform): Value {
  const r = new Reader(bytes);
  const v = readTyped(r, t, '', conform);
  if (r.pos !== bytes.length) throw new MsgpackError(`msgpack: ${bytes.length - r.pos} bytes after the value`);
  return v;
}

// ---------------------------------------------------------------- writing

class Writer {
  buf = Buffer.allocUnsafe(4096) as Utf8Buffer;
  pos = 0;

  reset() {
    this.pos = 0;
  }

  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n)) as Utf8Buffer;
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number) {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  head(n: number, fix: number, fixMax: number, b8: number, b16: number, b32: number) {
    this.ensure(5);
    const buf = this.buf;
    if (n <= fixMax) buf[this.pos++] = fix | n;
    else if (b8 !== 0 && n <= 0xff) {
      buf[this.pos++] = b8;
      buf[this.pos++] = n;
    } else if (n <= 0xffff) {
      buf[this.pos++] = b16;
      buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else {
      buf[this.pos++] = b32;
      buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
  }

  str(s: string) {
    const len = s.length;
    // Short text: written after a one-byte head, which is filled in once the length is known
    // (a UTF-16 unit takes at most 3 bytes). Text of more than 31 bytes takes a longer head.
    if (len < 32) {
      this.ensure(3 * len + 1);
      const n = this.buf.utf8Write(s, this.pos + 1);
      if (n < 32) {
        this.buf[this.pos] = 0xa0 | n;
        this.pos += 1 + n;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.head(n, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.ensure(n);
    this.pos += this.buf.utf8Write(s, this.pos);
  }

  raw(bytes: Uint8Array) {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  number(v: number) {
    this.ensure(9);
    const buf = this.buf;
    if (Number.isSafeInteger(v)) {
      if (v >= 0) {
        if (v <= 0x7f) buf[this.pos++] = v;
        else if (v <= 0xff) {
          buf[this.pos++] = 0xcc;
          buf[this.pos++] = v;
        } else if (v <= 0xffff) {
          buf[this.pos++] = 0xcd;
          buf.writeUInt16BE(v, this.pos);
          this.pos += 2;
        } else if (v <= 0xffffffff) {
          buf[this.pos++] = 0xce;
          buf.writeUInt32BE(v, this.pos);
          this.pos += 4;
        } else {
          buf[this.pos++] = 0xcf;
          buf.writeUInt32BE(Math.floor(v / 2 ** 32), this.pos);
          buf.writeUInt32BE(v >>> 0, this.pos + 4);
          this.pos += 8;
        }
        return;
      }
      if (v >= -32) buf[this.pos++] = v & 0xff;
      else if (v >= -0x80) {
        buf[this.pos++] = 0xd0;
        buf.writeInt8(v, this.pos++);
      } else if (v >= -0x8000) {
        buf[this.pos++] = 0xd1;
        buf.writeInt16BE(v, this.pos);
        this.pos += 2;
      } else if (v >= -0x80000000) {
        buf[this.pos++] = 0xd2;
        buf.writeInt32BE(v, this.pos);
        this.pos += 4;
      } else {
        buf[this.pos++] = 0xd3;
        buf.writeBigInt64BE(BigInt(v), this.pos);
        this.pos += 8;
      }
      return;
    }
    buf[this.pos++] = 0xcb;
    buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  unknown() {
    // fixext1 of type 0 with one zero byte: cty's "wholly unknown".
    this.ensure(3);
    this.buf[this.pos++] = 0xd4;
    this.buf[this.pos++] = EXT_UNKNOWN;
    this.buf[this.pos++] = 0;
  }
}

/** Writes a primitive (or null, or unknown) in its plain form; false when `conform` must judge it. */
function writeScalar(w: Writer, t: 'string' | 'number' | 'bool', v: unknown): boolean {
  if (v === null || v === undefined) w.byte(0xc0);
  else if (v === UNKNOWN) w.unknown();
  else if (t === 'string' && typeof v === 'string') w.str(v);
  else if (t === 'number' && typeof v === 'number') w.number(v);
  else if (t === 'bool' && typeof v === 'boolean') w.byte(v ? 0xc3 : 0xc2);
  else return false;
  return true;
}

function writeTyped(w: Writer, t: CtyType, v: unknown, where: string, conform: Conform): void {
  if (typeof t === 'string') {
    // Convertible (a number for a string, say) or an error naming the path.
    if (!writeScalar(w, t, v)) writeTyped(w, t, conform(t, v, where), where, conform);
    return;
  }
  if (v === null || v === undefined) return w.byte(0xc0);
  if (v === UNKNOWN) return w.unknown();
  if ('list' in t || 'set' in t) {
    if (!Array.isArray(v)) return reject(t, v, where, conform);
    const et = 'list' in t ? t.list : t.set;
    w.head(v.length, 0x90, 15, 0, 0xdc, 0xdd);
    for (let i = 0; i < v.length; i++) writeTyped(w, et, v[i], `${where}[${i}]`, conform);
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return reject(t, v, where, conform);
  const src = v as Record<string, unknown>;
  if ('map' in t) {
    const keys = Object.keys(src);
    w.head(keys.length, 0x80, 15, 0, 0xde, 0xdf);
    for (const k of keys) {
      w.str(k);
      writeTyped(w, t.map, src[k], `${where}["${k}"]`, conform);
    }
    return;
  }
  // Every attribute of the type, in the type's order; missing ones are null.
  const { names, types, encoded, order } = shapeOf(t.object);
  w.head(order.length, 0x80, 15, 0, 0xde, 0xdf);
  for (const j of order) {
    w.raw(encoded[j]!);
    const et = types[j]!;
    const x = src[names[j]!];
    if (typeof et !== 'string' || !writeScalar(w, et, x)) writeTyped(w, et, x, at(where, names[j]!), conform);
  }
}

// One buffer for every write: a value is copied out once it is complete.
const writer = new Writer();

export function writeMsgpack(t: CtyType, v: Value, conform: Conform): Uint8Array {
  writer.reset();
  writeTyped(writer, t, v, '', conform);
  return Uint8Array.prototype.slice.call(writer.buf, 0, writer.pos);
}
