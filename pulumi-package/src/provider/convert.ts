/** Values between the API (snake_case keys) and Pulumi (camelCase keys), nested objects included. */
import type { Attribute } from '@claresia/catalog';
import { camel } from '../names.js';
import type { Props } from './values.js';

/** A Pulumi value as the API expects it: nested object keys in snake_case. */
export function toApiValue(attr: Attribute, v: unknown, t = attr.type): unknown {
  if (v === null || v === undefined || typeof t === 'string') return v;
  if (('list' in t || 'set' in t) && Array.isArray(v)) return v.map((x) => toApiValue(attr, x, 'list' in t ? t.list : t.set));
  if ('map' in t && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toApiValue(attr, x, t.map)]));
  if ('object' in t && typeof v === 'object') {
    const out: Props = {};
    for (const [name, f] of Object.entries(t.object)) {
      const x = (v as Props)[camel(name)];
      if (x !== undefined) out[name] = toApiValue(f, x);
    }
    return out;
  }
  return v;
}

/** An API value as Pulumi shows it: nested object keys in camelCase. */
export function fromApiValue(attr: Attribute, v: unknown, t = attr.type): unknown {
  if (v === null || v === undefined || typeof t === 'string') return v;
  if (('list' in t || 'set' in t) && Array.isArray(v)) return v.map((x) => fromApiValue(attr, x, 'list' in t ? t.list : t.set));
  if ('map' in t && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromApiValue(attr, x, t.map)]));
  if ('object' in t && typeof v === 'object') {
    const out: Props = {};
    for (const [name, f] of Object.entries(t.object)) {
      const x = (v as Props)[name];
      if (x !== undefined) out[camel(name)] = fromApiValue(f, x);
    }
    return out;
  }
  return v;
}
