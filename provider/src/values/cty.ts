/**
 * Terraform (cty) types and values as the provider holds them in memory: plain JS values,
 * `null`, and the UNKNOWN marker for values that are not known until apply.
 */

export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | { list: CtyType }
  | { set: CtyType }
  | { map: CtyType }
  | { object: Record<string, CtyType> };

/** A value Terraform will only know after apply. Compared by identity. */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type Unknown = typeof UNKNOWN;

export type Value = null | Unknown | string | number | boolean | Value[] | { [k: string]: Value };
export type ObjectValue = { [k: string]: Value };

export const isUnknown = (v: unknown): v is Unknown => v === UNKNOWN;

/** True when no part of the value is unknown. */
export function isWhollyKnown(v: Value): boolean {
  if (v === UNKNOWN) return false;
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (v !== null && typeof v === 'object') return Object.values(v).every(isWhollyKnown);
  return true;
}

/** The JSON form of a type that Schema.Attribute.type carries, e.g. `["list","string"]`. */
export function typeJson(t: CtyType): unknown {
  if (typeof t === 'string') return t;
  if ('list' in t) return ['list', typeJson(t.list)];
  if ('set' in t) return ['set', typeJson(t.set)];
  if ('map' in t) return ['map', typeJson(t.map)];
  return ['object', Object.fromEntries(Object.entries(t.object).map(([k, v]) => [k, typeJson(v)]))];
}

/** Deep equality of values; sets compare without regard to order. */
export function equalValues(t: CtyType, a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === UNKNOWN || b === UNKNOWN) return false;
  if (typeof t === 'string') return a === b;
  if ('list' in t) {
    const x = a as Value[];
    const y = b as Value[];
    return x.length === y.length && x.every((v, i) => equalValues(t.list, v, y[i]!));
  }
  if ('set' in t) {
    const x = a as Value[];
    const y = b as Value[];
    return x.length === y.length && x.every((v) => y.some((w) => equalValues(t.set, v, w)));
  }
  const types = 'map' in t ? null : t.object;
  const x = a as ObjectValue;
  const y = b as ObjectValue;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const et = types ? types[k] : (t as { map: CtyType }).map;
    if (!et) continue;
    if (!(k in x) || !(k in y)) {
      if (types && (x[k] ?? null) === null && (y[k] ?? null) === null) continue;
      return false;
    }
    if (!equalValues(et, x[k]!, y[k]!)) return false;
  }
  return true;
}
