/**
 * A create refused because what it describes exists already (a group mapped by one of the
 * mappings every tenant starts with): the control plane names that object in its 409, for any
 * client. An IaC tool can do better than "change that mapping instead": adopt it by import.
 */
import type { ResourceDef } from './types.js';

/**
 * The id of the existing object a create's refusal names, when it is an object of this resource
 * and imports by its id alone; undefined for any other refusal.
 */
export function existingObjectId(def: ResourceDef, status: number, message: string): string | undefined {
  const { format, idPrefix } = def.importId;
  if (status !== 409 || !idPrefix || (format !== '{id}' && format !== `{${def.idAttribute}}`)) return undefined;
  return new RegExp(`\\b${idPrefix}_[0-9a-f]+\\b`).exec(message)?.[0];
}
