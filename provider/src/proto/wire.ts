/**
 * A small table-driven protobuf (proto3) codec. The provider needs a few dozen messages and
 * must start fast, so instead of loading and parsing .proto files at start-up, each message is
 * described once as a plain object (field name → number and kind) and encoded or decoded here.
 * Only what travels on the wire matters: field numbers and wire types.
 */

export type Scalar = 'string' | 'bytes' | 'bool' | 'int64' | 'enum';

export interface FieldSpec {
  no: number;
  kind: Scalar | 'message' | 'map';
  repeated?: boolean;
  /** Message type of a `message` field, or of a `map<string, Message>` value. Thunk: specs refer to each other. */
  msg?: () => MessageSpec;
}

export type MessageSpec = Record<string, FieldSpec>;

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number | bigint) {
    this.ensure(10);
    if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v = v >>> 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    // Negative or large: two's complement over 64 bits.
    let b = BigInt.asUintN(64, BigInt(v));
    while (b > 0x7fn) {
      this.buf[this.pos++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.buf[this.pos++] = Number(b);
  }

  tag(no: number, wire: number) {
    this.varint((no << 3) | wire);
  }

  bytes(b: Uint8Array) {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function writeField(w: Writer, f: FieldSpec, v: unknown) {
  switch (f.kind) {
    case 'string':
      if (v === '') return;
      w.tag(f.no, LEN);
      w.bytes(Buffer.from(String(v), 'utf8'));
      return;
    case 'bytes': {
      const b = v as Uint8Array;
      if (b.length === 0 && !f.repeated) return;
      w.tag(f.no, LEN);
      w.bytes(b);
      return;
    }
    case 'bool':
      if (!v) return;
      w.tag(f.no, VARINT);
      w.varint(1);
      return;
    case 'int64':
    case 'enum':
      if (v === 0 || v === 0n) return;
      w.tag(f.no, VARINT);
      w.varint(v as number | bigint);
      return;
    case 'message':
      w.tag(f.no, LEN);
      w.bytes(encode(f.msg!(), v as Record<string, unknown>));
      return;
    case 'map':
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const entry = new Writer();
        entry.tag(1, LEN);
        entry.bytes(Buffer.from(k, 'utf8'));
        const body = f.msg ? encode(f.msg(), val as Record<string, unknown>) : Buffer.from(String(val), 'utf8');
        entry.tag(2, LEN);
        entry.bytes(body);
        w.tag(f.no, LEN);
        w.bytes(entry.finish());
      }
      return;
  }
}

export function encode(spec: MessageSpec, value: Record<string, unknown> | undefined | null): Buffer {
  const w = new Writer();
  if (value) {
    for (const [name, f] of Object.entries(spec)) {
      const v = value[name];
      if (v === undefined || v === null) continue;
      if (f.repeated) for (const item of v as unknown[]) writeField(w, f, item);
      else writeField(w, f, v);
    }
  }
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done() {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    // Fast path: values below 2^28 (tags, lengths, enums, versions) fit in four bytes.
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.buf.length) throw new Error('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    // Longer: finish in BigInt and read as a signed int64 (a negative int64 takes ten bytes).
    let big = BigInt(result);
    for (let shift = 28n; ; shift += 7n) {
      if (this.pos >= this.buf.length) throw new Error('protobuf: truncated varint');
      if (shift > 63n) throw new Error('protobuf: varint too long');
      const b = this.buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
    }
    return Number(BigInt.asIntN(64, big));
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error('protobuf: truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number) {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.pos += 8;
        return;
      case LEN:
        this.bytes();
        return;
      case I32:
        this.pos += 4;
        return;
      default:
        throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

const byNumberCache = new WeakMap<MessageSpec, Map<number, [string, FieldSpec]>>();

function byNumber(spec: MessageSpec) {
  let m = byNumberCache.get(spec);
  if (!m) {
    m = new Map(Object.entries(spec).map(([name, f]) => [f.no, [name, f]]));
    byNumberCache.set(spec, m);
  }
  return m;
}

const utf8 = new TextDecoder();

/** Decodes a message; absent scalars take proto3 defaults, absent messages stay undefined. */
export function decode<T = Record<string, any>>(spec: MessageSpec, buf: Uint8Array): T {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) {
    if (f.repeated) out[name] = [];
    else if (f.kind === 'map') out[name] = {};
    else if (f.kind === 'string') out[name] = '';
    else if (f.kind === 'bytes') out[name] = new Uint8Array(0);
    else if (f.kind === 'bool') out[name] = false;
    else if (f.kind === 'int64' || f.kind === 'enum') out[name] = 0;
  }
  const fields = byNumber(spec);
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const no = key >>> 3;
    const wire = key & 7;
    const hit = fields.get(no);
    if (!hit) {
      r.skip(wire);
      continue;
    }
    const [name, f] = hit;
    let v: unknown;
    switch (f.kind) {
      case 'string':
        v = utf8.decode(r.bytes());
        break;
      case 'bytes':
        v = r.bytes();
        break;
      case 'bool':
        v = r.varint() !== 0;
        break;
      case 'int64':
      case 'enum':
        v = r.varint();
        break;
      case 'message':
        v = decode(f.msg!(), r.bytes());
        break;
      case 'map': {
        const entry = new Reader(r.bytes());
        let k = '';
        let val: unknown = f.msg ? decode(f.msg(), new Uint8Array(0)) : '';
        while (!entry.done) {
          const ek = entry.varint();
          if (ek >>> 3 === 1) k = utf8.decode(entry.bytes());
          else if (ek >>> 3 === 2) val = f.msg ? decode(f.msg(), entry.bytes()) : utf8.decode(entry.bytes());
          else entry.skip(ek & 7);
        }
        (out[name] as Record<string, unknown>)[k] = val;
        continue;
      }
    }
    if (f.repeated) (out[name] as unknown[]).push(v);
    else out[name] = v;
  }
  return out as T;
}
