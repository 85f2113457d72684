import type { Role } from '../rbac/roles.js';

type OpenApi = { paths?: Record<string, Record<string, { description?: string; [k: string]: unknown }>> };

/**
 * Marks each operation a tenant token may call with the least role it needs (`x-claresia-role`,
 * and a sentence in its description): the catalog derives the operations, the router knows who
 * may call them, and clients should not have to learn it from a 403.
 */
export function withRoles<T extends OpenApi>(doc: T, roles: ReadonlyMap<string, Role>): T {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const role = roles.get(`${method.toUpperCase()} ${path}`);
      if (!role) continue;
      op['x-claresia-role'] = role;
      const note = `Needs the ${role} role or higher (service accounts act as tenant_admin).`;
      op.description = op.description ? `${op.description}\n\n${note}` : note;
    }
  }
  return doc;
}
