import { canonicalCidr } from './cidr.js';
import type { Attribute } from './types.js';

/**
 * The value the API stores for an absent optional_computed attribute, given the object's
 * other values (keyed as `get` reads them); undefined when the API chooses freely.
 */
export function defaultOf(attr: Attribute, get: (attribute: string) => unknown): unknown {
  if (attr.default !== undefined) return attr.default;
  if (!attr.defaultBy) return undefined;
  const by = get(attr.defaultBy.attribute);
  return typeof by === 'string' && Object.hasOwn(attr.defaultBy.values, by) ? attr.defaultBy.values[by] : undefined;
}

/**
 * Whether two values of a collection attribute are both empty or absent: an empty map, list or
 * set and none at all mean the same to the API, so a change between them is no change (not a
 * replacement of a resource whose triggers went from {} to nothing).
 */
export function bothEmpty(attr: Attribute, a: unknown, b: unknown): boolean {
  if (typeof attr.type === 'string' || 'object' in attr.type) return false;
  const empty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0);
  return empty(a) && empty(b);
}

/**
 * The one place where a value is normalised the way the API stores it. The control plane
 * applies it before writing; the IaC providers apply it to configured values so that the
 * value they plan equals the value they read back.
 */
export function normalizeValue(attr: Attribute, given: unknown): unknown {
  if (given === null || given === undefined) return given;
  // One network, one spelling (2001:DB8::/32 and 2001:0db8::/32 are 2001:db8::/32), so a set
  // holds it once and a plan compares it as the API stores it.
  const value = attr.format === 'cidr' ? (Array.isArray(given) ? given.map(canonicalCidr) : canonicalCidr(given)) : given;
  switch (attr.normalize) {
    case 'lowercase':
      return typeof value === 'string' ? value.trim().toLowerCase() : value;
    case 'trim':
      return typeof value === 'string' ? value.trim() : value;
    case 'sorted_set':
      return Array.isArray(value) ? [...new Set(value)].sort() : value;
    default:
      return value;
  }
}

export function normalizeObject(attrs: Record<string, Attribute>, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const attr = attrs[k];
    out[k] = attr ? normalizeValue(attr, v) : v;
  }
  return out;
}

/**
 * A body with only the string normalisations ('trim', 'lowercase') applied: the value whose
 * length, pattern and format the API and the IaC providers check, since it is what the API
 * stores (a name of spaces alone would otherwise pass a minimum length and be stored empty).
 * Sets are left as sent: duplicates in a set are refused, not merged.
 */
export function normalizeStrings(attrs: Record<string, Attribute>, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const attr = attrs[k];
    out[k] = attr && (attr.normalize === 'trim' || attr.normalize === 'lowercase') ? normalizeValue(attr, v) : v;
  }
  return out;
}
