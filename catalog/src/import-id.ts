import type { ResourceDef } from './types.js';

/**
 * Reads an import ID into the attributes its format names, or says what is wrong with it. An ID
 * of the wrong shape (a tenant's slug where its id belongs, a group name for a mapping id) is
 * refused here, in words naming what the ID should be, rather than by a lookup that finds nothing
 * and reports "non-existent remote object".
 */
export function parseImportId(def: ResourceDef, id: string): { values: Record<string, string> } | { problem: string } {
  const { format, example, what, idPrefix } = def.importId;
  const names = [...format.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const shape = new RegExp('^' + format.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '([^/]+)') + '$');
  const expected = `expected ${what ?? format}, for example ${example}`;
  const m = shape.exec(id);
  if (!m) return { problem: `"${id}" is not an import ID of this resource: ${expected}.` };
  const values: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    let v: string;
    try {
      v = decodeURIComponent(m[i + 1]!);
    } catch {
      return { problem: `"${id}" is not an import ID of this resource: ${expected}.` };
    }
    const attr = def.attributes[name];
    const wrong =
      (name === def.idAttribute && idPrefix !== undefined && !new RegExp(`^${idPrefix}_[0-9a-f]+$`).test(v)) ||
      (attr?.enum !== undefined && !attr.enum.includes(v)) ||
      (attr?.pattern !== undefined && !new RegExp(attr.pattern).test(v));
    if (wrong) return { problem: `"${v}" is not ${what ?? `a ${name} of this resource`}; for example ${example}.` };
    values[name] = v;
  }
  return { values };
}
