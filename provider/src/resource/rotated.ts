/**
 * A value returned once (a SCIM bearer token, an ingest credential) that someone rotated
 * outside Terraform: state would keep a dead credential, and every plan would say nothing.
 */
import { rotatedOutside, type ResourceDef } from '@claresia/catalog';
import type { ObjectValue } from '../values/cty.js';
import { warning, type Diagnostic } from '../diagnostics.js';

/**
 * Drops from `next` (the state a refresh will store) each value returned once that `api` shows
 * was rotated since `prior` got it, so that whatever the configuration passes it to plans a
 * change, and warns at that attribute. Terraform cannot read the new value back: null is the
 * only honest value to hold.
 */
export function dropRotated(def: ResourceDef, typeName: string, api: Record<string, unknown>, prior: ObjectValue, next: ObjectValue): Diagnostic[] {
  return rotatedOutside(def, (name) => prior[name], api).map((r) => {
    next[r.attribute] = null;
    const id = String(api[def.idAttribute]);
    const works = r.previousWorksUntil ? `the value Terraform held stops working at ${r.previousWorksUntil}` : 'the value Terraform held no longer works';
    return warning(
      `${r.attribute} was rotated outside Terraform`,
      `${typeName} ${id} got a new ${r.attribute} at ${r.rotatedAt} (${r.rotatedAtAttribute}) from a rotation outside Terraform: ${works}. ` +
        'It is removed from state (null), so whatever the configuration passes it to plans a change. ' +
        `Terraform cannot read it back: only the answer to POST ${r.rotatePath} shows a new one, once, to its caller. ` +
        `Give that value (or a new rotation's) to what needs it; Terraform holds a working ${r.attribute} again only by creating the object again ` +
        `(terraform apply -replace=<this resource's address>): ${r.replacing}.`,
      [r.attribute],
    );
  });
}
