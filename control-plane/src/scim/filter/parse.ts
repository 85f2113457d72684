import { invalidFilter, invalidPath, type ScimError } from '../errors.js';
import type { AttrPath, CompareOp, Filter, Literal, PatchPath } from './ast.js';

/** Long or deeply nested filters are refused before they can cost much. */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_DEPTH = 32;

type Token =
  | { t: 'word'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'punct'; v: '(' | ')' | '[' | ']'; at: number }
  /** `.value` right after `]`, as in `emails[type eq "work"].value` (§3.4.2.2 valuePath then subAttr). */
  | { t: 'sub'; v: string; at: number }
  | { t: 'end'; at: number };

const COMPARE = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
// ATTRNAME = ALPHA *(nameChar) with nameChar "-" / "_" / DIGIT / ALPHA; URNs add ":" and ".".
const WORD = /[A-Za-z$][A-Za-z0-9_:.\-$]*/y;
// A sub-attribute name alone: ATTRNAME, no URN or further dots.
const SUB = /[A-Za-z$][A-Za-z0-9_\-$]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const isCloseBracket = (t: Token | undefined) => t?.t === 'punct' && t.v === ']';

function tokenize(src: string, fail: (m: string) => ScimError): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: 'punct', v: c, at: i });
      i++;
    } else if (c === '"') {
      // A JSON string literal, escapes included (§3.4.2.2 compValue is JSON).
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw fail(`unterminated string starting at position ${i + 1}`);
      let v: unknown;
      try {
        v = JSON.parse(src.slice(i, j + 1));
      } catch {
        throw fail(`invalid escape in the string at position ${i + 1}`);
      }
      // PostgreSQL text cannot hold NUL, so no stored value can equal one.
      if ((v as string).includes('\u0000')) throw fail(`the string at position ${i + 1} contains a NUL character`);
      out.push({ t: 'string', v: v as string, at: i });
      i = j + 1;
    } else if ((c >= '0' && c <= '9') || c === '-') {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) throw fail(`unexpected "${c}" at position ${i + 1}`);
      out.push({ t: 'number', v: Number(m[0]), at: i });
      i += m[0].length;
    } else if (c === '.' && src[i - 1] === ']' && isCloseBracket(out.at(-1))) {
      SUB.lastIndex = i + 1;
      const m = SUB.exec(src);
      if (!m) throw fail(`expected a sub-attribute name after "]." at position ${i + 2}`);
      out.push({ t: 'sub', v: m[0], at: i });
      i += 1 + m[0].length;
    } else {
      WORD.lastIndex = i;
      const m = WORD.exec(src);
      if (!m) throw fail(`unexpected "${c}" at position ${i + 1}`);
      out.push({ t: 'word', v: m[0], at: i });
      i += m[0].length;
    }
  }
  out.push({ t: 'end', at: src.length });
  return out;
}

/** Splits `urn:...:User:name.givenName` or `name.givenName` into its parts. */
export function splitAttrPath(word: string, fail: (m: string) => ScimError): AttrPath {
  let schema: string | undefined;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const k = word.lastIndexOf(':');
    schema = word.slice(0, k);
    rest = word.slice(k + 1);
    if (!rest) throw fail(`"${word}" names a schema but no attribute`);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z$][A-Za-z0-9_\-$]*$/.test(p))) throw fail(`"${word}" is not an attribute path`);
  return { ...(schema ? { schema } : {}), attr: parts[0]!, ...(parts[1] ? { sub: parts[1] } : {}) };
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly fail: (m: string) => ScimError,
  ) {}

  private peek(): Token {
    return this.toks[this.pos]!;
  }
  private next(): Token {
    return this.toks[this.pos++]!;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'word' && t.v.toLowerCase() === v;
  }
  private expect(p: ')' | ']') {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== p) throw this.fail(`expected "${p}" at position ${t.at + 1}`);
  }
  private enter() {
    if (++this.depth > MAX_DEPTH) throw this.fail(`the filter nests deeper than ${MAX_DEPTH} levels`);
  }

  atEnd(): boolean {
    return this.peek().t === 'end';
  }

  // or-expression: lowest precedence.
  parseOr(): Filter {
    this.enter();
    let left = this.parseAnd();
    while (this.isWord('or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.isWord('and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Filter {
    const t = this.peek();
    if (t.t === 'punct' && t.v === '(') {
      this.next();
      const f = this.parseOr();
      this.expect(')');
      return f;
    }
    if (this.isWord('not')) {
      const save = this.pos;
      this.next();
      const open = this.peek();
      if (open.t === 'punct' && open.v === '(') {
        this.next();
        this.enter();
        const f = this.parseOr();
        this.depth--;
        this.expect(')');
        return { kind: 'not', filter: f };
      }
      // An attribute that happens to be called "not".
      this.pos = save;
    }
    return this.parseAttrExp();
  }

  private parseAttrExp(): Filter {
    const t = this.next();
    if (t.t !== 'word') throw this.fail(`expected an attribute name at position ${t.at + 1}`);
    const path = splitAttrPath(t.v, this.fail);
    const after = this.peek();
    if (after.t === 'punct' && after.v === '[') {
      if (path.sub) throw this.fail(`"${t.v}[" : a value filter applies to an attribute, not a sub-attribute`);
      this.next();
      this.enter();
      const inner = this.parseOr();
      this.depth--;
      this.expect(']');
      const sub = this.peek();
      if (sub.t !== 'sub') return { kind: 'valuePath', path, filter: inner };
      this.next();
      // `emails[type eq "work"].value eq "x"`: some value the filter selects has a value that is
      // "x", which is the filter `emails[type eq "work" and value eq "x"]`.
      const leaf = this.parseComparison({ attr: sub.v }, `${t.v}[...].${sub.v}`);
      return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: leaf } };
    }
    return this.parseComparison(path, t.v);
  }

  /** `pr`, or an operator and its value, after the attribute path `path` (written `written`). */
  private parseComparison(path: AttrPath, written: string): Filter {
    const opTok = this.next();
    if (opTok.t !== 'word') throw this.fail(`expected an operator after "${written}" at position ${opTok.at + 1}`);
    const op = opTok.v.toLowerCase();
    if (op === 'pr') return { kind: 'pr', path };
    if (!COMPARE.has(op)) throw this.fail(`unknown operator "${opTok.v}" at position ${opTok.at + 1}`);
    return { kind: 'compare', op: op as CompareOp, path, value: this.parseValue() };
  }

  private parseValue(): Literal {
    const t = this.next();
    if (t.t === 'string' || t.t === 'number') return t.v;
    if (t.t === 'word') {
      const w = t.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
    }
    throw this.fail(`expected a value (a "string", number, true, false or null) at position ${t.at + 1}`);
  }
}

/** Parses a `filter` query parameter; any problem is a 400 invalidFilter naming where it is. */
export function parseFilter(src: string): Filter {
  if (src.length > MAX_FILTER_LENGTH) throw invalidFilter(`filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const fail = (m: string) => invalidFilter(`filter: ${m}`);
  const p = new Parser(tokenize(src, fail), fail);
  if (p.atEnd()) throw fail('the filter is empty');
  const f = p.parseOr();
  if (!p.atEnd()) throw fail('unexpected text after the end of the expression');
  return f;
}

/** Parses a PATCH `path`: `attr`, `attr.sub`, `urn:..:attr`, `attr[filter]` or `attr[filter].sub`. */
export function parsePatchPath(src: string): PatchPath {
  if (src.length > MAX_FILTER_LENGTH) throw invalidPath(`path is longer than ${MAX_FILTER_LENGTH} characters`);
  const fail = (m: string) => invalidPath(`path "${src.length > 200 ? src.slice(0, 200) + '...' : src}": ${m}`);
  const open = src.indexOf('[');
  if (open < 0) {
    if (!/^\s*\S+\s*$/.test(src)) throw fail('is not an attribute path');
    return { path: splitAttrPath(src.trim(), fail) };
  }
  const close = src.lastIndexOf(']');
  if (close < open) throw fail('has "[" without "]"');
  const path = splitAttrPath(src.slice(0, open).trim(), fail);
  if (path.sub) throw fail('a value filter applies to an attribute, not a sub-attribute');
  const tail = src.slice(close + 1);
  let subAfterFilter: string | undefined;
  if (tail.length) {
    const m = /^\.([A-Za-z$][A-Za-z0-9_\-$]*)$/.exec(tail);
    if (!m) throw fail('only ".subAttribute" may follow "]"');
    subAfterFilter = m[1];
  }
  const innerFail = (m: string) => invalidPath(`path filter: ${m}`);
  const p = new Parser(tokenize(src.slice(open + 1, close), innerFail), innerFail);
  if (p.atEnd()) throw fail('the value filter is empty');
  const filter = p.parseOr();
  if (!p.atEnd()) throw fail('unexpected text in the value filter');
  return { path, filter, ...(subAfterFilter ? { subAfterFilter } : {}) };
}
