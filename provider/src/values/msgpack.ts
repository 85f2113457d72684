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

// ---------------------------------------------------------------- reading

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
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
    // Attribute names and most values are short ASCII: building them here beats a native call.
    if (n < 24) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, n).toString('utf8');
        s += String.fromCharCode(c);
      }
      return s;
    }
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, n).toString('utf8');
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

function readTyped(r: Reader, t: CtyType, where: string, conform: Conform): Value {
  const head = r.byte();
  if (head === 0xc0) return null;
  if (typeof t === 'string') {
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
    return conform(t, r.any(head), where);
  }
  if ('object' in t) {
    const n = r.mapLength(head);
    if (n < 0) return conform(t, r.any(head), where);
    const src: Record<string, Value> = {};
    for (let i = 0; i < n; i++) {
      const kh = r.byte();
      const kn = r.strLength(kh);
      const k = kn >= 0 ? r.str(kn) : String(r.any(kh));
      // Attributes the type does not have are read and dropped.
      if (!Object.hasOwn(t.object, k)) r.any(r.byte());
      else src[k] = readTyped(r, t.object[k]!, at(where, k), conform);
    }
    const out: ObjectValue = {};
    for (const k in t.object) out[k] = src[k] ?? null;
    return out;
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
  buf = Buffer.allocUnsafe(4096);
  pos = 0;

  reset() {
    this.pos = 0;
  }

  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
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
    // ASCII needs one byte per character: write it in place.
    if (len < 32) {
      this.ensure(len + 1);
      const start = this.pos;
      const buf = this.buf;
      buf[this.pos++] = 0xa0 | len;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[this.pos++] = c;
      }
      if (i === len) return;
      this.pos = start;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.head(n, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
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

function writeTyped(w: Writer, t: CtyType, v: unknown, where: string, conform: Conform): void {
  if (v === null || v === undefined) return w.byte(0xc0);
  if (v === UNKNOWN) return w.unknown();
  if (typeof t === 'string') {
    if (t === 'string' && typeof v === 'string') return w.str(v);
    if (t === 'number' && typeof v === 'number') return w.number(v);
    if (t === 'bool' && typeof v === 'boolean') return w.byte(v ? 0xc3 : 0xc2);
    // Convertible (a number for a string, say) or an error naming the path.
    return writeTyped(w, t, conform(t, v, where), where, conform);
  }
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
  const keys = Object.keys(t.object);
  w.head(keys.length, 0x80, 15, 0, 0xde, 0xdf);
  for (const k of keys) {
    w.str(k);
    writeTyped(w, t.object[k]!, src[k], at(where, k), conform);
  }
}

// One buffer for every write: a value is copied out once it is complete.
const writer = new Writer();

export function writeMsgpack(t: CtyType, v: Value, conform: Conform): Uint8Array {
  writer.reset();
  writeTyped(writer, t, v, '', conform);
  return Uint8Array.prototype.slice.call(writer.buf, 0, writer.pos);
}
