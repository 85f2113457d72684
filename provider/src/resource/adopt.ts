/**
 * A create refused because the object exists already (a group one of the default mappings
 * maps): the API says "change that mapping instead", which in Terraform means importing it.
 */
import { existingObjectId, type ResourceDef } from '@claresia/catalog';
import { ClaresiaApiError } from '@claresia/client';
import { fromError, type Diagnostic } from '../diagnostics.js';

/**
 * A create's failure as Terraform shows it; when the API refused it naming an existing object
 * of this resource, with the import block that adopts that object.
 */
export function createFailure(def: ResourceDef, typeName: string, err: unknown): Diagnostic {
  const d = fromError(err, `Creating ${typeName}`, def.attributes);
  const id = err instanceof ClaresiaApiError ? existingObjectId(def, err.status, err.apiMessage) : undefined;
  if (!id) return d;
  const hint =
    `To manage ${id} with Terraform instead of creating another, import it: add\n\n` +
    `import {\n  to = ${typeName}.<this resource's name>\n  id = "${id}"\n}\n\n` +
    `and apply again (or run terraform import ${typeName}.<this resource's name> ${id}); the plan then shows where this configuration differs from it.`;
  return { ...d, detail: d.detail ? `${d.detail}\n\n${hint}` : hint };
}
