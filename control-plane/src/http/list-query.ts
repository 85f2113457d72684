import { badRequest } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';

export interface ListQuery {
  /** `?id=a&id=b` (or `?id=a,b`): the IaC refresh of many resources in one round trip. */
  ids?: string[];
  limit: number;
  cursor?: string;
}

export function parseListQuery(q: RequestContext['query']): ListQuery {
  let ids: string[] | undefined;
  if (q.id !== undefined) {
    ids = (Array.isArray(q.id) ? q.id : [q.id]).flatMap((v) => String(v).split(',')).filter(Boolean);
    if (ids.length > 500) throw badRequest('at most 500 ids per request', 'id');
  }
  let limit = 100;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('limit must be an integer from 1 to 500', 'limit');
  }
  return { ids, limit, ...(q.cursor !== undefined ? { cursor: String(q.cursor) } : {}) };
}

/** Runs a keyset-paged query on `id` and shapes the {items, next_cursor} answer. */
export async function pageById<R extends { id: string }, T>(
  query: { whereIn(col: string, v: string[]): any; where(col: string, op: string, v: string): any; orderBy(col: string): any; limit(n: number): any },
  lq: ListQuery,
  present: (row: R) => T,
): Promise<{ items: T[]; next_cursor: string | null }> {
  let q = query.orderBy('id').limit(lq.limit + 1);
  if (lq.ids) q = q.whereIn('id', lq.ids);
  if (lq.cursor) q = q.where('id', '>', lq.cursor);
  const rows = (await q) as R[];
  const page = rows.slice(0, lq.limit);
  return { items: page.map(present), next_cursor: rows.length > lq.limit ? page[page.length - 1]!.id : null };
}
