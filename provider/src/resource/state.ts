/**
 * How API answers become Terraform state without perpetual diffs. The API normalises some
 * values (case, whitespace, set order); Terraform insists that state after apply equals the
 * plan and that configured values are not rewritten. So where the API's value is the
 * normalised form of the value Terraform already holds, the held value is kept; otherwise
 * the API's value wins (that is drift, and plan shows it).
 */
import { bothEmpty, normalizeValue, type Attribute, type ResourceDef } from '@claresia/catalog';
import { UNKNOWN, equalValues, type ObjectValue, type Value } from '../values/cty.js';
import { ctyTypeOf, providerSideAttributes } from '../schema.js';

/** API JSON → value of the attribute's type (integers and floats alike are numbers). */
function fromApi(v: unknown): Value {
  if (v === undefined) return null;
  return v as Value;
}

/** Same value once both sides are normalised the way the API stores them. */
export function semanticallyEqual(attr: Attribute, held: Value, api: Value): boolean {
  if (held === UNKNOWN) return false;
  const t = ctyTypeOf(attr.type);
  if (equalValues(t, held, api)) return true;
  if (!attr.normalize || held === null || api === null) return false;
  return equalValues(t, normalizeValue(attr, held) as Value, normalizeValue(attr, api) as Value);
}

/**
 * The state to store from an API object, given the value Terraform holds (planned value
 * after a write, prior state on read).
 */
export function stateFromApi(def: ResourceDef, api: Record<string, unknown>, held: ObjectValue | null): ObjectValue {
  const out: ObjectValue = {};
  for (const [name, attr] of Object.entries(def.attributes)) {
    const prior = held ? (held[name] ?? null) : null;
    if (attr.writeOnly) {
      out[name] = null;
      continue;
    }
    const fromServer = fromApi(api[name]);
    if (attr.returnedOnce && (fromServer === null || api[name] === undefined)) {
      // Shown once at creation: keep what we were given then.
      out[name] = prior === UNKNOWN ? null : prior;
      continue;
    }
    if (!(name in api)) {
      out[name] = prior === UNKNOWN ? null : prior;
      continue;
    }
    // An empty collection for none at all (or the reverse) is the value held, not drift, where
    // none at all is the attribute's own empty value; one the API defaults (to []) takes the API's,
    // which is what a plan of an absent value will say (an import holds null for it).
    const heldEmpty = attr.mode === 'optional' && attr.default === undefined && bothEmpty(attr, prior, fromServer);
    out[name] = (prior !== null && semanticallyEqual(attr, prior, fromServer)) || heldEmpty ? prior : fromServer;
  }
  for (const name of providerSideAttributes(def)) out[name] = held?.[name] ?? null;
  return out;
}

/**
 * After apply, every value the plan promised must come back unchanged. Computed values the
 * plan already knew (kept from prior state) are returned as planned; a later refresh picks up
 * any change the API made to them.
 */
export function keepPlannedComputed(def: ResourceDef, state: ObjectValue, planned: ObjectValue): ObjectValue {
  const out = { ...state };
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (attr.mode !== 'computed') continue;
    const p = planned[name];
    if (p !== undefined && p !== UNKNOWN) out[name] = p;
  }
  return out;
}

/** Input attributes of an object value as an API request body (write-only ones from config). */
export function requestBody(def: ResourceDef, planned: ObjectValue, config: ObjectValue, only?: Set<string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (attr.mode === 'computed') continue;
    if (only && !only.has(name)) continue;
    const v = attr.writeOnly ? (config[name] ?? null) : (planned[name] ?? null);
    // Unknown in the plan because the user left it to the API: let the API pick it.
    if (v === UNKNOWN && attr.mode === 'optional_computed' && (config[name] ?? null) === null) continue;
    if (v === UNKNOWN) throw new Error(`${name} is still unknown at apply`);
    if (v === null && !only) continue;
    body[name] = v;
  }
  return body;
}
