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

/** A spec prepared once: fields in declaration order with their tags, and lookup by number. */
interface Field {
  name: string;
  f: FieldSpec;
  /** The tag varint of this field (wire type included) and its length in bytes. */
  tag: number;
  tagLen: number;
}
interface Compiled {
  fields: Field[];
  byNo: Map<number, Field>;
}

const compiledSpecs = new WeakMap<MessageSpec, Compiled>();

function compiled(spec: MessageSpec): Compiled {
  let c = compiledSpecs.get(spec);
  if (!c) {
    const fields = Object.entries(spec).map(([name, f]) => {
      const wire = f.kind === 'bool' || f.kind === 'int64' || f.kind === 'enum' ? VARINT : LEN;
      const tag = (f.no << 3) | wire;
      return { name, f, tag, tagLen: varintSize(tag) };
    });
    c = { fields, byNo: new Map(fields.map((x) => [x.f.no, x])) };
    compiledSpecs.set(spec, c);
  }
  return c;
}

function varintSize(v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
    let n = 1;
    while (v > 0x7f) {
      v = v >>> 7;
      n++;
    }
    return n;
  }
  let b = BigInt.asUintN(64, BigInt(v));
  let n = 1;
  while (b > 0x7fn) {
    b >>= 7n;
    n++;
  }
  return n;
}

/*
 * Encoding is two passes over the value: the first measures every nested message, string and
 * map entry (in the order the second will write them), the second writes into one buffer of
 * the exact size. Nothing is encoded twice or copied from a scratch buffer into its parent.
 */
let sizes: number[] = [];

function measureField(f: FieldSpec, tagLen: number, v: unknown): number {
  switch (f.kind) {
    case 'string': {
      if (v === '') return 0;
      const n = Buffer.byteLength(String(v), 'utf8');
      sizes.push(n);
      return tagLen + varintSize(n) + n;
    }
    case 'bytes': {
      const n = (v as Uint8Array).length;
      if (n === 0 && !f.repeated) return 0;
      return tagLen + varintSize(n) + n;
    }
    case 'bool':
      return v ? tagLen + 1 : 0;
    case 'int64':
    case 'enum':
      if (v === 0 || v === 0n) return 0;
      return tagLen + varintSize(v as number | bigint);
    case 'message': {
      const at = sizes.length;
      sizes.push(0);
      const n = measure(compiled(f.msg!()), v as Record<string, unknown>);
      sizes[at] = n;
      return tagLen + varintSize(n) + n;
    }
    case 'map': {
      let total = 0;
      const valueSpec = f.msg ? compiled(f.msg()) : undefined;
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const at = sizes.length;
        sizes.push(0);
        const kn = Buffer.byteLength(k, 'utf8');
        sizes.push(kn);
        const vAt = sizes.length;
        sizes.push(0);
        const vn = valueSpec ? measure(valueSpec, val as Record<string, unknown>) : Buffer.byteLength(String(val), 'utf8');
        sizes[vAt] = vn;
        const entry = 1 + varintSize(kn) + kn + 1 + varintSize(vn) + vn;
        sizes[at] = entry;
        total += tagLen + varintSize(entry) + entry;
      }
      return total;
    }
  }
}

function measure(c: Compiled, value: Record<string, unknown> | undefined | null): number {
  if (!value) return 0;
  let n = 0;
  for (const { name, f, tagLen } of c.fields) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (f.repeated) for (const item of v as unknown[]) n += measureField(f, tagLen, item);
    else n += measureField(f, tagLen, v);
  }
  return n;
}

let out: Buffer = Buffer.alloc(0);
let pos = 0;
let next = 0;

function varint(v: number | bigint) {
  if (typeof v === 'number' && v >= 0 && v <= 0xffffffff) {
    while (v > 0x7f) {
      out[pos++] = (v & 0x7f) | 0x80;
      v = v >>> 7;
    }
    out[pos++] = v;
    return;
  }
  // Negative or large: two's complement over 64 bits.
  let b = BigInt.asUintN(64, BigInt(v));
  while (b > 0x7fn) {
    out[pos++] = Number(b & 0x7fn) | 0x80;
    b >>= 7n;
  }
  out[pos++] = Number(b);
}

function writeField(f: FieldSpec, tag: number, v: unknown) {
  switch (f.kind) {
    case 'string': {
      if (v === '') return;
      varint(tag);
      const n = sizes[next++]!;
      varint(n);
      pos += out.write(String(v), pos, n, 'utf8');
      return;
    }
    case 'bytes': {
      const b = v as Uint8Array;
      if (b.length === 0 && !f.repeated) return;
      varint(tag);
      varint(b.length);
      out.set(b, pos);
      pos += b.length;
      return;
    }
    case 'bool':
      if (!v) return;
      varint(tag);
      out[pos++] = 1;
      return;
    case 'int64':
    case 'enum':
      if (v === 0 || v === 0n) return;
      varint(tag);
      varint(v as number | bigint);
      return;
    case 'message':
      varint(tag);
      varint(sizes[next++]!);
      write(compiled(f.msg!()), v as Record<string, unknown>);
      return;
    case 'map': {
      const valueSpec = f.msg ? compiled(f.msg()) : undefined;
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        varint(tag);
        varint(sizes[next++]!);
        const kn = sizes[next++]!;
        out[pos++] = (1 << 3) | LEN;
        varint(kn);
        pos += out.write(k, pos, kn, 'utf8');
        out[pos++] = (2 << 3) | LEN;
        const vn = sizes[next++]!;
        varint(vn);
        if (valueSpec) write(valueSpec, val as Record<string, unknown>);
        else pos += out.write(String(val), pos, vn, 'utf8');
      }
      return;
    }
  }
}

function write(c: Compiled, value: Record<string, unknown> | undefined | null) {
  if (!value) return;
  for (const { name, f, tag } of c.fields) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (f.repeated) for (const item of v as unknown[]) writeField(f, tag, item);
    else writeField(f, tag, v);
  }
}

export function encode(spec: MessageSpec, value: Record<string, unknown> | undefined | null): Buffer {
  const c = compiled(spec);
  sizes = [];
  const n = measure(c, value);
  out = Buffer.allocUnsafe(n);
  pos = 0;
  next = 0;
  write(c, value);
  if (pos !== n) throw new Error(`protobuf: wrote ${pos} bytes of ${n} measured`);
  const done = out;
  out = Buffer.alloc(0);
  return done;
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

const utf8 = new TextDecoder();
// Absent bytes fields share one empty array: decoded messages are read, never written to.
const EMPTY = new Uint8Array(0);

/** Decodes a message; absent scalars take proto3 defaults, absent messages stay undefined. */
export function decode<T = Record<string, any>>(spec: MessageSpec, buf: Uint8Array): T {
  const c = compiled(spec);
  const out: Record<string, unknown> = {};
  for (const { name, f } of c.fields) {
    if (f.repeated) out[name] = [];
    else if (f.kind === 'map') out[name] = {};
    else if (f.kind === 'string') out[name] = '';
    else if (f.kind === 'bytes') out[name] = EMPTY;
    else if (f.kind === 'bool') out[name] = false;
    else if (f.kind === 'int64' || f.kind === 'enum') out[name] = 0;
  }
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const no = key >>> 3;
    const wire = key & 7;
    const hit = c.byNo.get(no);
    if (!hit) {
      r.skip(wire);
      continue;
    }
    const { name, f } = hit;
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
        let val: unknown = f.msg ? decode(f.msg(), EMPTY) : '';
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
