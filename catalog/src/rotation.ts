/**
 * Values returned once (a SCIM bearer token, an ingest credential) that were replaced outside
 * the IaC tools. Terraform and Pulumi keep such a value from the answer that showed it, and
 * never rotate it; a rotation through the API shows the new value to its caller only, so the
 * one they hold stops working while every read still answers null for it. What a read does
 * show is when the current value was issued: once that differs from the time held beside the
 * value, the value held is not the current one. Both tools ask this, so they agree on when.
 */
import type { ResourceDef } from './types.js';

export interface OutsideRotation {
  /** The returned-once attribute whose held value was replaced. */
  attribute: string;
  /** The rotation time attribute, and when the current value was issued. */
  rotatedAtAttribute: string;
  rotatedAt: string;
  /** When the replaced value stops working, while the API keeps it working for a while. */
  previousWorksUntil?: string;
  /** The rotation's path for this object, where a new value is shown once. */
  rotatePath: string;
  /** What creating the object again costs (see Rotation.replacing). */
  replacing: string;
}

function sameInstant(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Date.parse(a);
  return !Number.isNaN(x) && x === Date.parse(b);
}

/**
 * The values in `held` (a tool's state, by catalog attribute name) that `api` (a read of the
 * same object) shows were rotated since they were given. A value held with no rotation time
 * beside it (a state from before the time was kept) is left alone: nothing says it is stale.
 */
export function rotatedOutside(def: ResourceDef, held: (attribute: string) => unknown, api: Record<string, unknown>): OutsideRotation[] {
  const found: OutsideRotation[] = [];
  for (const [name, attr] of Object.entries(def.attributes)) {
    const r = attr.returnedOnce ? attr.rotation : undefined;
    if (!r) continue;
    const value = held(name);
    const heldAt = held(r.rotatedAt);
    const apiAt = api[r.rotatedAt];
    if (typeof value !== 'string' || value === '' || typeof heldAt !== 'string' || typeof apiAt !== 'string' || sameInstant(heldAt, apiAt)) continue;
    const until = r.previousExpiresAt ? api[r.previousExpiresAt] : undefined;
    found.push({
      attribute: name,
      rotatedAtAttribute: r.rotatedAt,
      rotatedAt: apiAt,
      ...(typeof until === 'string' && until !== '' ? { previousWorksUntil: until } : {}),
      rotatePath: r.path.replace('{id}', encodeURIComponent(String(api[def.idAttribute]))),
      replacing: r.replacing,
    });
  }
  return found;
}
