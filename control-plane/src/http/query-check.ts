import { ApiError } from './errors.js';
import type { QueryDoc } from './router.js';

/**
 * Refuses a query parameter the route does not read, and a repeated one it reads once. Either
 * would otherwise be dropped without a word, and a dropped filter widens the answer: a caller
 * asking for `?type[]=x` or `?from=` would get every row and take it for the filtered set.
 */
export function refuseUnknownQuery(declared: Readonly<Record<string, QueryDoc>> | undefined, query: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(query)) {
    const doc = declared?.[name];
    if (!doc) {
      const known = Object.keys(declared ?? {});
      const hint = known.length ? `; this operation reads ${known.join(', ')}` : '; this operation takes no query parameters';
      throw new ApiError(400, 'unknown_parameter', `query parameter ${JSON.stringify(name).slice(0, 80)} is not known here${hint}`, name.slice(0, 80));
    }
    if (Array.isArray(value) && doc.schema.type !== 'array') {
      throw new ApiError(400, 'invalid_value', `query parameter ${name} takes one value; it was given ${value.length}`, name);
    }
  }
}
