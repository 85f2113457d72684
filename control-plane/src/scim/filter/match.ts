import { invalidPath } from '../errors.js';
import { findAttr, type ScimAttr } from '../schema.js';
import type { Filter, Literal } from './ast.js';

/**
 * Evaluates the filter of a PATCH path (`emails[type eq "work"]`, `members[value eq "..."]`)
 * against one value of a multi-valued attribute. Only that resource is in hand, so this runs
 * in memory; list filters are compiled to SQL instead.
 */
export function matchesValue(f: Filter, value: unknown, attr: ScimAttr): boolean {
  switch (f.kind) {
    case 'and':
      return matchesValue(f.left, value, attr) && matchesValue(f.right, value, attr);
    case 'or':
      return matchesValue(f.left, value, attr) || matchesValue(f.right, value, attr);
    case 'not':
      return !matchesValue(f.filter, value, attr);
    case 'valuePath':
      throw invalidPath(`"[...]" cannot nest inside ${attr.name}[...]`);
    case 'pr':
    case 'compare': {
      if (f.path.schema || f.path.sub) throw invalidPath(`inside ${attr.name}[...] name a sub-attribute of ${attr.name}`);
      const sub = attr.subAttributes ? findAttr(attr.subAttributes, f.path.attr) : undefined;
      if (!sub) throw invalidPath(`${attr.name} has no sub-attribute "${f.path.attr}"`);
      const v = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[sub.name] : undefined;
      if (f.kind === 'pr') return v !== undefined && v !== null && v !== '';
      return compare(f.op, v, f.value, sub);
    }
  }
}

function compare(op: string, actual: unknown, expected: Literal, sub: ScimAttr): boolean {
  if (expected === null) return op === 'eq' ? actual == null : op === 'ne' ? actual != null : false;
  if (actual === undefined || actual === null) return op === 'ne';
  if (sub.type === 'boolean') {
    const e = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected === true;
    return op === 'eq' ? actual === e : op === 'ne' ? actual !== e : false;
  }
  let a = String(actual);
  let e = String(expected);
  if (!sub.caseExact) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

/**
 * The values an `eq`-only filter pins down (`type eq "work"` gives {type: 'work'}), so that
 * `replace emails[type eq "work"].value` on a user without a work email can create it, as
 * Entra ID expects. Undefined when the filter says more than that.
 */
export function equalitiesOf(f: Filter, attr: ScimAttr): Record<string, unknown> | undefined {
  if (f.kind === 'and') {
    const l = equalitiesOf(f.left, attr);
    const r = equalitiesOf(f.right, attr);
    return l && r ? { ...l, ...r } : undefined;
  }
  if (f.kind !== 'compare' || f.op !== 'eq' || f.path.sub || f.path.schema || f.value === null) return undefined;
  const sub = attr.subAttributes ? findAttr(attr.subAttributes, f.path.attr) : undefined;
  if (!sub) return undefined;
  const v = sub.type === 'boolean' ? (typeof f.value === 'string' ? f.value.toLowerCase() === 'true' : f.value === true) : String(f.value);
  return { [sub.name]: v };
}
