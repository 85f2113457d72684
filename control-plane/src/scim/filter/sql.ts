import { invalidFilter } from '../errors.js';
import { resolveAttr, type ResolvedAttr, type ResourceTypeDef } from '../schema.js';
import type { AttrPath, CompareOp, Filter, Literal } from './ast.js';

/**
 * Compiles a parsed filter to a SQL condition with bindings, for knex `whereRaw`. Attributes
 * IdPs filter by map to indexed columns (userName to its lower-cased column, title and
 * department to `lower(col)` with text_pattern_ops indexes, so `eq` and `sw` use an index);
 * multi-valued attributes become EXISTS over their JSON array or the membership table. Leaves
 * under NOT are NULL-safe, so `not (...)` means what it says.
 */

export interface Sql {
  sql: string;
  bindings: unknown[];
}

/** A single value the filter can compare: a SQL expression of that value. */
export interface ScalarTarget {
  kind: 'scalar';
  expr: string;
  type: 'string' | 'boolean' | 'dateTime';
  caseExact: boolean;
  /** The expression is already lower-cased (compare against a lower-cased value as is). */
  lowered?: boolean;
}

/** A multi-valued attribute: `exists(inner)` is true when some value satisfies `inner`. */
export interface MultiTarget {
  kind: 'multi';
  /** Resolves a sub-attribute of one value to a scalar. */
  sub(name: string): ScalarTarget | undefined;
  /** The sub-attribute a bare `emails eq "x"` compares. */
  defaultSub: string;
  exists(inner: Sql): Sql;
  /**
   * A text[] expression with an index of the lower-cased `value` of every value, for a
   * condition beside `exists` that the index can answer (the exact test stays `exists`).
   */
  loweredValues?: string;
}

export type Target = ScalarTarget | MultiTarget;

export interface FilterTable {
  type: ResourceTypeDef;
  /** Maps a resolved attribute to where it is stored; undefined if it cannot be filtered. */
  target(r: ResolvedAttr): Target | undefined;
}

const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The least string above every string that starts with `prefix`, in byte order (the order of
 * text_pattern_ops, `~<~`): the prefix with its last code point raised by one. UTF-8 keeps code
 * point order, so that is byte order too. Undefined when nothing bounds it (an empty prefix).
 */
export function prefixCeiling(prefix: string): string | undefined {
  // A lone surrogate reaches PostgreSQL as U+FFFD (the driver encodes UTF-8), so it is bounded as one.
  const points = Array.from(prefix, (c) => {
    const p = c.codePointAt(0)!;
    return p >= 0xd800 && p <= 0xdfff ? 0xfffd : p;
  });
  while (points.length) {
    const last = points.pop()!;
    if (last >= 0x10ffff) continue;
    // Surrogate code points cannot be stored; the next one that can is U+E000.
    const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}

const MAX_LEAVES = 64;

function describe(p: AttrPath): string {
  return `${p.schema ? p.schema + ':' : ''}${p.attr}${p.sub ? '.' + p.sub : ''}`;
}

/**
 * One comparison. SQL gives NULL for a comparison with an absent value, which a WHERE treats as
 * false: right as it stands, wrong under NOT. So under an odd number of NOTs a comparison is
 * guarded (`col IS NOT NULL AND ...`) to be plainly false; elsewhere it is left bare, which
 * lets an index cover the whole condition (and counts be index-only).
 */
function compareScalar(t: ScalarTarget, op: CompareOp | 'pr', value: Literal, name: string, negated: boolean): Sql {
  if (op === 'pr') {
    return t.type === 'string' ? { sql: `(${t.expr} IS NOT NULL AND ${t.expr} <> '')`, bindings: [] } : { sql: `(${t.expr} IS NOT NULL)`, bindings: [] };
  }
  if (value === null) {
    if (op === 'eq') return { sql: `(${t.expr} IS NULL)`, bindings: [] };
    if (op === 'ne') return { sql: `(${t.expr} IS NOT NULL)`, bindings: [] };
    throw invalidFilter(`filter: "${name} ${op} null" compares with null; only eq and ne can`);
  }
  if (t.type === 'boolean') {
    let b: boolean;
    if (typeof value === 'boolean') b = value;
    else if (typeof value === 'string' && /^(true|false)$/i.test(value)) b = value.toLowerCase() === 'true';
    else throw invalidFilter(`filter: ${name} is a boolean; compare it with true or false`);
    if (op === 'eq') return negated ? { sql: `(${t.expr} IS NOT NULL AND ${t.expr} = ?)`, bindings: [b] } : { sql: `(${t.expr} = ?)`, bindings: [b] };
    if (op === 'ne') return { sql: `(${t.expr} IS NULL OR ${t.expr} <> ?)`, bindings: [b] };
    throw invalidFilter(`filter: "${op}" does not apply to the boolean ${name}`);
  }
  if (t.type === 'dateTime') {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidFilter(`filter: ${name} is a dateTime; compare it with an RFC 3339 string`);
    if (op === 'co' || op === 'sw' || op === 'ew') throw invalidFilter(`filter: "${op}" does not apply to the dateTime ${name}`);
    const sqlOp = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
    const d = new Date(value);
    if (op === 'ne') return { sql: `(${t.expr} IS NULL OR ${t.expr} <> ?)`, bindings: [d] };
    return negated ? { sql: `(${t.expr} IS NOT NULL AND ${t.expr} ${sqlOp} ?)`, bindings: [d] } : { sql: `(${t.expr} ${sqlOp} ?)`, bindings: [d] };
  }
  if (typeof value === 'boolean') throw invalidFilter(`filter: ${name} is a string; compare it with a "string"`);
  let s = String(value);
  let expr = t.expr;
  if (!t.caseExact) {
    s = s.toLowerCase();
    if (!t.lowered) expr = `lower(${t.expr})`;
  }
  const guarded = (cond: string, b: unknown): Sql => (negated ? { sql: `(${t.expr} IS NOT NULL AND ${cond})`, bindings: [b] } : { sql: `(${cond})`, bindings: [b] });
  switch (op) {
    case 'eq':
      return guarded(`${expr} = ?`, s);
    case 'ne':
      return { sql: `(${t.expr} IS NULL OR ${expr} <> ?)`, bindings: [s] };
    case 'co':
      return guarded(`${expr} LIKE ? ESCAPE '\\'`, `%${like(s)}%`);
    case 'sw': {
      // The prefix's range as two more parameters: a prepared statement's generic plan cannot
      // take an index range from a LIKE pattern it has not seen. The LIKE stays as the exact test.
      const above = prefixCeiling(s);
      if (above === undefined) return guarded(`${expr} LIKE ? ESCAPE '\\'`, `${like(s)}%`);
      const cond = `${expr} ~>=~ ? AND ${expr} ~<~ ? AND ${expr} LIKE ? ESCAPE '\\'`;
      const bindings = [s, above, `${like(s)}%`];
      return negated ? { sql: `(${t.expr} IS NOT NULL AND ${cond})`, bindings } : { sql: `(${cond})`, bindings };
    }
    case 'ew':
      return guarded(`${expr} LIKE ? ESCAPE '\\'`, `%${like(s)}`);
    default: {
      const sqlOp = { gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
      return guarded(`${expr} ${sqlOp} ?`, s);
    }
  }
}

class Compiler {
  private leaves = 0;
  constructor(private readonly table: FilterTable) {}

  private leaf() {
    if (++this.leaves > MAX_LEAVES) throw invalidFilter(`filter: more than ${MAX_LEAVES} comparisons`);
  }

  private resolve(p: AttrPath): { r: ResolvedAttr; target: Target } {
    const r = resolveAttr(this.table.type, p.schema, p.attr, p.sub);
    if (!r) throw invalidFilter(`filter: ${this.table.type.kind} has no attribute "${describe(p)}"`);
    if (r.attr.returned === 'never' || r.sub?.returned === 'never') throw invalidFilter(`filter: "${describe(p)}" cannot be filtered`);
    if (!r.attr.multiValued && r.attr.type === 'complex' && !r.sub) throw invalidFilter(`filter: "${describe(p)}" is complex; filter one of its sub-attributes`);
    // A multi-valued attribute is one target whatever the sub-attribute; a single one is its column.
    const target = this.table.target(r.attr.multiValued ? { ...r, sub: undefined } : r);
    if (!target) throw invalidFilter(`filter: "${describe(p)}" cannot be filtered`);
    return { r, target };
  }

  compile(f: Filter, negated = false): Sql {
    switch (f.kind) {
      case 'and':
      case 'or': {
        const l = this.compile(f.left, negated);
        const r = this.compile(f.right, negated);
        return { sql: `(${l.sql} ${f.kind === 'and' ? 'AND' : 'OR'} ${r.sql})`, bindings: [...l.bindings, ...r.bindings] };
      }
      case 'not': {
        const inner = this.compile(f.filter, !negated);
        return { sql: `(NOT ${inner.sql})`, bindings: inner.bindings };
      }
      case 'pr':
      case 'compare': {
        this.leaf();
        const { r, target } = this.resolve(f.path);
        const op = f.kind === 'pr' ? 'pr' : f.op;
        const value = f.kind === 'pr' ? null : f.value;
        const name = describe(f.path);
        if (target.kind === 'scalar') return compareScalar(target, op, value, name, negated);
        if (op === 'pr' && !r.sub) return target.exists({ sql: 'TRUE', bindings: [] });
        const subName = r.sub?.name ?? target.defaultSub;
        const sub = target.sub(subName);
        if (!sub) throw invalidFilter(`filter: "${name}" cannot be filtered`);
        // EXISTS is true or false whatever its inside gives, so the inside starts un-negated.
        const exists = target.exists(compareScalar(sub, op, value, name, false));
        return op === 'eq' && subName.toLowerCase() === 'value' && typeof value === 'string' ? withIndexedValues(target, [value], exists) : exists;
      }
      case 'valuePath': {
        const { r, target } = this.resolve(f.path);
        if (target.kind !== 'multi') throw invalidFilter(`filter: "${describe(f.path)}" is not multi-valued; "[...]" does not apply`);
        return withIndexedValues(target, valuesRequired(f.filter), target.exists(this.compileInner(f.filter, target, r.attr.name, false)));
      }
    }
  }

  /** Inside `attr[...]`, names are sub-attributes of one value of attr. */
  private compileInner(f: Filter, target: MultiTarget, outer: string, negated: boolean): Sql {
    switch (f.kind) {
      case 'and':
      case 'or': {
        const l = this.compileInner(f.left, target, outer, negated);
        const r = this.compileInner(f.right, target, outer, negated);
        return { sql: `(${l.sql} ${f.kind === 'and' ? 'AND' : 'OR'} ${r.sql})`, bindings: [...l.bindings, ...r.bindings] };
      }
      case 'not': {
        const inner = this.compileInner(f.filter, target, outer, !negated);
        return { sql: `(NOT ${inner.sql})`, bindings: inner.bindings };
      }
      case 'valuePath':
        throw invalidFilter(`filter: "[...]" cannot nest inside ${outer}[...]`);
      case 'pr':
      case 'compare': {
        this.leaf();
        if (f.path.schema || f.path.sub) throw invalidFilter(`filter: inside ${outer}[...] name a sub-attribute of ${outer}`);
        const sub = target.sub(f.path.attr);
        if (!sub) throw invalidFilter(`filter: ${outer} has no sub-attribute "${f.path.attr}" that can be filtered`);
        return compareScalar(sub, f.kind === 'pr' ? 'pr' : f.op, f.kind === 'pr' ? null : f.value, `${outer}.${f.path.attr}`, negated);
      }
    }
  }
}

/** The `value eq "x"` comparisons every match of a `[...]` filter satisfies: those ANDed at its top. */
function valuesRequired(f: Filter): string[] {
  if (f.kind === 'and') return [...valuesRequired(f.left), ...valuesRequired(f.right)];
  return f.kind === 'compare' && f.op === 'eq' && typeof f.value === 'string' && !f.path.schema && !f.path.sub && f.path.attr.toLowerCase() === 'value' ? [f.value] : [];
}

/**
 * Adds to `exists` (some value has one of `values` as its value) a condition it implies that an
 * index answers. It compares the value lower-cased as compareScalar does, against the same
 * column's values lower-cased by PostgreSQL as the EXISTS does, so it holds wherever EXISTS
 * does and the answer is the same; only a case-insensitive value sub-attribute qualifies.
 */
function withIndexedValues(target: MultiTarget, values: string[], exists: Sql): Sql {
  if (!target.loweredValues || !values.length || target.sub('value')?.caseExact !== false) return exists;
  return {
    sql: `(${exists.sql} AND ${target.loweredValues} @> ARRAY[${values.map(() => '?').join(', ')}]::text[])`,
    bindings: [...exists.bindings, ...values.map((v) => v.toLowerCase())],
  };
}

export function compileFilter(table: FilterTable, f: Filter): Sql {
  return new Compiler(table).compile(f);
}

/** Multi-valued complex attributes stored as a JSON array (emails, phoneNumbers, addresses). */
export function jsonArrayTarget(arrayExpr: string, subs: Record<string, 'string' | 'boolean'>, caseExactSubs: string[] = [], loweredValues?: string): MultiTarget {
  return {
    kind: 'multi',
    defaultSub: 'value',
    loweredValues,
    sub(name) {
      const key = Object.keys(subs).find((k) => k.toLowerCase() === name.toLowerCase());
      if (!key) return undefined;
      // Keys are our own attribute names, never user input.
      if (subs[key] === 'boolean') return { kind: 'scalar', expr: `((e.v->>'${key}')::boolean)`, type: 'boolean', caseExact: true };
      return { kind: 'scalar', expr: `(e.v->>'${key}')`, type: 'string', caseExact: caseExactSubs.includes(key) };
    },
    exists(inner) {
      return { sql: `EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(${arrayExpr}, '[]'::jsonb)) AS e(v) WHERE ${inner.sql})`, bindings: inner.bindings };
    },
  };
}
