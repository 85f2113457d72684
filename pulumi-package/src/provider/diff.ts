/**
 * Diff: what an update would change, decided without calling the API. Configured values are
 * normalised the way the API stores them (the catalog's normalizeValue) before they are
 * compared with the outputs the API returned, so a diff right after create is empty.
 * Replacements follow the Terraform provider's rule exactly: a force-new input, or any input
 * of a resource that has no update operation.
 */
import { isDeepStrictEqual } from 'node:util';
import { bothEmpty, defaultOf, normalizeValue, updateWaits, type Attribute, type ResourceDef } from '@claresia/catalog';
import { attributesNamed, camel, isInput } from '../names.js';
import { toApiValue } from './convert.js';
import { hasUnknown, reveal, UNREAD_WRITE_ONLY, type Props } from './values.js';

export type ChangeKind = 'add' | 'update' | 'delete';

export interface Change {
  property: string;
  kind: ChangeKind;
  replace: boolean;
}

export interface DiffOutcome {
  changes: Change[];
  /** Computed outputs an in-place update leaves as they are. */
  stables: string[];
  /** Outputs the API derives from a changed input: not known until the update answers. */
  derived: string[];
  /** Replacing deletes first: slugs and one-per-tenant objects cannot exist twice. */
  deleteBeforeReplace: boolean;
}

export function replacesOnChange(def: ResourceDef, attr: Attribute): boolean {
  return isInput(attr) && (!!attr.forceNew || !def.api.update);
}

/** The configured value as the API will store it (snake_case nested keys, normalised). */
export function apiForm(attr: Attribute, v: unknown): unknown {
  return normalizeValue(attr, toApiValue(attr, v));
}

/** What the API stores for an absent optional_computed input, given the other inputs (camelCase). */
export function inputDefault(attr: Attribute, inputs: Props): unknown {
  return defaultOf(attr, (a) => reveal(inputs[camel(a)]));
}

function same(attr: Attribute, configured: unknown, stored: unknown): boolean {
  return isDeepStrictEqual(apiForm(attr, configured), apiForm(attr, stored));
}

/**
 * olds: the outputs in state; news: the checked inputs; oldInputs: the inputs in state (the
 * only place a write-only value, which the API never returns, can be compared).
 */
export function diffResource(def: ResourceDef, olds: Props, news: Props, oldInputs: Props | undefined): DiffOutcome {
  const changes: Change[] = [];
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (!isInput(attr)) continue;
    const prop = camel(name);
    const next = reveal(news[prop]) ?? null;
    const prev = (attr.writeOnly ? reveal(oldInputs?.[prop]) : reveal(olds[prop])) ?? null;
    if (attr.writeOnly && oldInputs === undefined) continue;
    // Absent from the inputs in state, a required write-only value (always held by the API),
    // or one an import recorded as unread, came from an import, which cannot read it back.
    // Planning it as added would fail the import; the program's value is recorded with the
    // next update and compared from then on.
    if (attr.writeOnly && prev === null && (attr.mode === 'required' || unread(olds).includes(prop))) continue;
    let changed: boolean;
    if (bothEmpty(attr, next, prev)) changed = false;
    else if (next === null) {
      if (attr.mode === 'optional_computed') {
        // Left to the API: back to its default when it has one, else whatever it chose.
        const fallback = inputDefault(attr, news);
        changed = fallback !== undefined && !same(attr, fallback, prev);
      } else changed = prev !== null;
    } else if (hasUnknown(next)) changed = true;
    else changed = prev === null || !same(attr, next, prev);
    if (!changed) continue;
    const kind: ChangeKind = prev === null ? 'add' : next === null && attr.mode !== 'optional_computed' ? 'delete' : 'update';
    changes.push({ property: prop, kind, replace: replacesOnChange(def, attr) });
  }
  const replacing = changes.some((c) => c.replace);
  const derived = replacing ? [] : derivedOutputs(def, changes, news);
  // An update that waits may see any output change while it waits; one that does not, none.
  const waits = updateWaits(def, attributesNamed(def, changes.map((c) => c.property)));
  const stables = replacing
    ? []
    : Object.entries(def.attributes)
        .filter(([n, a]) => a.mode === 'computed' && n !== 'id' && !waits && !derived.includes(camel(n)))
        .map(([n]) => camel(n));
  return { changes, stables, derived, deleteBeforeReplace: replacing };
}

function unread(olds: Props): string[] {
  const v = reveal(olds[UNREAD_WRITE_ONLY]);
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * The catalog's derivedFrom: a computed value, or an optional-computed one the program leaves
 * to the API, that an update of one of its inputs changes (SSO settings read from new metadata,
 * a status reset by a new credential). Promised as known, it would show the old value.
 */
function derivedOutputs(def: ResourceDef, changes: Change[], news: Props): string[] {
  const changed = new Set(changes.map((c) => c.property));
  return Object.entries(def.attributes)
    .filter(([n, a]) => a.derivedFrom?.some((d) => changed.has(camel(d))) && (a.mode === 'computed' || (a.mode === 'optional_computed' && (reveal(news[camel(n)]) ?? null) === null)))
    .map(([n]) => camel(n));
}
