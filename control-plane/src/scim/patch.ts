import { cleanDocument, readBoolean, type ScimDoc } from './document.js';
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.js';
import type { PatchPath } from './filter/ast.js';
import { equalitiesOf, matchesValue } from './filter/match.js';
import { parsePatchPath } from './filter/parse.js';
import { extensionOf, PATCH_OP, resolveAttr, type ResourceTypeDef, type ScimAttr } from './schema.js';

export const MAX_OPERATIONS = 1000;

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** Checks a PatchOp body (RFC 7644 §3.5.2); op names are case-insensitive, as Entra ID capitalises them. */
export function readPatchBody(body: unknown): PatchOperation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const key = (name: string) => Object.keys(b).find((k) => k.toLowerCase() === name.toLowerCase());
  const schemas = b[key('schemas') ?? 'schemas'];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase())) {
    throw invalidSyntax(`schemas must be ["${PATCH_OP}"]`);
  }
  const ops = b[key('Operations') ?? 'Operations'];
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax('Operations must be a non-empty array');
  if (ops.length > MAX_OPERATIONS) throw invalidValue(`Operations: at most ${MAX_OPERATIONS} operations per request`);
  return ops.map((o, i) => {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalidSyntax(`Operations[${i}] must be an object`);
    const get = (name: string) => (o as Record<string, unknown>)[Object.keys(o).find((k) => k.toLowerCase() === name) ?? name];
    const op = get('op');
    if (typeof op !== 'string' || !['add', 'replace', 'remove'].includes(op.toLowerCase())) {
      throw invalidSyntax(`Operations[${i}].op must be add, replace or remove`);
    }
    const path = get('path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw invalidPath(`Operations[${i}].path must be a string`);
    const value = get('value');
    const lower = op.toLowerCase() as PatchOperation['op'];
    if (lower !== 'remove' && value === undefined) throw invalidValue(`Operations[${i}].value is required for ${lower}`);
    return { op: lower, ...(typeof path === 'string' && path.trim() !== '' ? { path } : {}), ...(value !== undefined ? { value } : {}) };
  });
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Two values of a multi-valued attribute are the same value when their `value` is (ids,
 * emails): the key says which. Keys rather than pairwise comparison, so adding or removing
 * thousands of members to a group of thousands stays linear.
 */
function valueKey(attr: ScimAttr, v: unknown): string {
  if (isObject(v) && 'value' in v) {
    const s = String(v.value);
    const sub = attr.subAttributes?.find((x) => x.name === 'value');
    return `v:${sub?.caseExact ? s : s.toLowerCase()}`;
  }
  return `j:${JSON.stringify(v)}`;
}

const isTrue = (v: unknown): boolean => readBoolean(v) === true;

/**
 * RFC 7644 §3.5.2: a PATCH that makes a value primary makes every other value of the attribute
 * not primary. `targets` are the values the operation made primary; more than one is refused.
 */
function onlyPrimary(list: unknown[], targets: number[], tooMany: string): void {
  if (targets.length > 1) throw invalidValue(tooMany);
  for (const [idx, el] of list.entries()) if (idx !== targets[0] && isObject(el) && isTrue(el.primary)) el.primary = false;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * Applies PATCH operations to a copy of a resource and validates the result as a whole, so
 * a request either applies completely or changes nothing. Supports what IdPs really send:
 * Okta's `replace` with an object and no path, Entra ID's capitalised ops, string booleans,
 * extension URNs as paths or keys, filtered paths, and member add/remove by value arrays.
 */
export function applyPatch(type: ResourceTypeDef, current: ScimDoc, ops: PatchOperation[]): ScimDoc {
  const doc = clone(current);
  ops.forEach((o, i) => {
    if (o.path !== undefined) return applyAt(type, doc, o.op, parsePatchPath(o.path), o.value, `Operations[${i}]`);
    if (o.op === 'remove') throw noTarget(`Operations[${i}]: remove needs a path`);
    if (!isObject(o.value)) throw invalidValue(`Operations[${i}].value must be an object when there is no path`);
    for (const [k, v] of Object.entries(o.value)) {
      const lk = k.toLowerCase();
      // Bulk values carry read-only attributes back as IdPs read them; they are ignored as in PUT.
      if (lk === 'schemas' || lk === 'id' || lk === 'meta') continue;
      const ext = extensionOf(type, k);
      if (ext) {
        if (!isObject(v)) throw invalidValue(`Operations[${i}].value["${ext.id}"] must be an object`);
        for (const [k2, v2] of Object.entries(v)) applyAt(type, doc, o.op, { path: { schema: ext.id, attr: k2 } }, v2, `Operations[${i}]`);
        continue;
      }
      applyAt(type, doc, o.op, parsePatchPath(k), v, `Operations[${i}]`);
    }
  });
  return cleanDocument(type, doc);
}

/** `roles`, `urn:...:core:2.0:User:roles`, `roles[primary eq true].value`: an attribute dropped as POST drops it. */
function isNotKept(type: ResourceTypeDef, p: PatchPath['path']): boolean {
  if (p.schema && p.schema.toLowerCase() !== type.core.id.toLowerCase()) return false;
  return type.notKept.some((n) => n.toLowerCase() === p.attr.toLowerCase());
}

function applyAt(type: ResourceTypeDef, doc: ScimDoc, op: PatchOperation['op'], pp: PatchPath, value: unknown, where: string): void {
  const p = pp.path;
  const name = `${p.schema ? p.schema + ':' : ''}${p.attr}${p.sub ? '.' + p.sub : ''}`;
  const r = resolveAttr(type, p.schema, p.attr, p.sub);
  if (!r && isNotKept(type, p)) return;
  if (!r) throw invalidPath(`${where}: ${type.kind} has no attribute "${name}"`);
  const sub = pp.subAfterFilter !== undefined ? r.attr.subAttributes?.find((s) => s.name.toLowerCase() === pp.subAfterFilter!.toLowerCase()) : r.sub;
  if (pp.subAfterFilter !== undefined && !sub) throw invalidPath(`${where}: ${r.attr.name} has no sub-attribute "${pp.subAfterFilter}"`);
  if (r.attr.mutability === 'readOnly' || sub?.mutability === 'readOnly') throw mutability(`${where}: ${r.attr.name}${sub ? '.' + sub.name : ''} is read-only`);
  // This server never stores a password; accepting and dropping it keeps IdP syncs working.
  if (r.attr.mutability === 'writeOnly') return;
  let container: Record<string, unknown> = doc;
  if (r.extension) {
    if (!isObject(doc[r.extension])) doc[r.extension] = {};
    container = doc[r.extension] as Record<string, unknown>;
  }
  const attr = r.attr;
  const key = attr.name;

  if (pp.filter) {
    if (!attr.multiValued) throw invalidPath(`${where}: ${key} is not multi-valued; "[...]" does not apply`);
    const list = Array.isArray(container[key]) ? (container[key] as unknown[]) : [];
    const hits = list.map((el, idx) => (matchesValue(pp.filter!, el, attr) ? idx : -1)).filter((idx) => idx >= 0);
    if (op === 'remove') {
      if (sub) for (const idx of hits) if (isObject(list[idx])) delete (list[idx] as Record<string, unknown>)[sub.name];
      // Removing what is already gone is a no-op: IdPs retry removals.
      container[key] = sub ? list : list.filter((_, idx) => !hits.includes(idx));
      return;
    }
    if (!sub && !isObject(value)) throw invalidValue(`${where}.value must be an object for ${key}[...]`);
    const targets: number[] = [];
    if (hits.length === 0) {
      const pinned = equalitiesOf(pp.filter, attr);
      if (!pinned) throw noTarget(`${where}: no value of ${key} matches the filter`);
      targets.push(list.push(sub ? { ...pinned, [sub.name]: value } : { ...pinned, ...(value as object) }) - 1);
    } else {
      for (const idx of hits) {
        const el = isObject(list[idx]) ? (list[idx] as Record<string, unknown>) : {};
        if (sub) el[sub.name] = value;
        else if (op === 'replace') list[idx] = { ...(value as object) };
        else Object.assign(el, value);
        if (sub || op !== 'replace') list[idx] = el;
        targets.push(idx);
      }
    }
    const setsPrimary = sub ? sub.name === 'primary' && isTrue(value) : isTrue((value as Record<string, unknown>).primary);
    if (setsPrimary) onlyPrimary(list, targets, `${where}: the filter selects ${targets.length} values of ${key}; at most one may be primary`);
    container[key] = list;
    return;
  }

  if (sub) {
    if (attr.multiValued) throw invalidPath(`${where}: name one value of ${key} with a filter, e.g. ${key}[type eq "work"].${sub.name}`);
    const obj = isObject(container[key]) ? (container[key] as Record<string, unknown>) : {};
    if (op === 'remove') delete obj[sub.name];
    else obj[sub.name] = value;
    container[key] = obj;
    return;
  }

  if (op === 'remove') {
    if (attr.required) throw mutability(`${where}: ${key} is required and cannot be removed`);
    if (attr.multiValued && value !== undefined && value !== null) {
      const drop = new Set(asList(value).map((d) => valueKey(attr, d)));
      container[key] = (Array.isArray(container[key]) ? (container[key] as unknown[]) : []).filter((el) => !drop.has(valueKey(attr, el)));
    } else {
      delete container[key];
    }
    return;
  }
  if (attr.multiValued) {
    const incoming = value === null ? [] : asList(value);
    const primaries = incoming.filter((v) => isObject(v) && isTrue(v.primary));
    // Two primaries in one operation's own values are the caller's contradiction, not ours to settle.
    if (primaries.length > 1) throw invalidValue(`${where}: at most one value of ${key} may be primary`);
    if (op === 'replace') {
      container[key] = incoming;
      return;
    }
    const list = Array.isArray(container[key]) ? (container[key] as unknown[]) : [];
    const at = new Map(list.map((el, idx) => [valueKey(attr, el), idx]));
    let primaryAt: number | undefined;
    for (const v of incoming) {
      const k = valueKey(attr, v);
      let idx = at.get(k);
      if (idx === undefined) {
        idx = list.push(v) - 1;
        at.set(k, idx);
      } else if (isObject(v) && isObject(list[idx])) {
        // The same value again: what it says of the value (type, primary) is taken.
        Object.assign(list[idx] as object, v);
      }
      if (primaries[0] === v) primaryAt = idx;
    }
    if (primaryAt !== undefined) onlyPrimary(list, [primaryAt], `${where}: at most one value of ${key} may be primary`);
    container[key] = list;
    return;
  }
  if (attr.type === 'complex' && isObject(value) && isObject(container[key])) {
    // RFC 7644 §3.5.2.1/3: sub-attributes not given are left as they are.
    container[key] = { ...(container[key] as object), ...value };
    return;
  }
  container[key] = value;
}
