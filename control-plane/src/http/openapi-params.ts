import type { QueryDoc } from './router.js';

/** The query of every list that parseListQuery reads (http/list-query.ts). */
export const LIST_QUERY: Readonly<Record<string, QueryDoc>> = {
  limit: { schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, description: 'Items per page' },
  cursor: { schema: { type: 'string' }, description: 'next_cursor of the previous page' },
  id: {
    schema: { type: 'array', items: { type: 'string' }, maxItems: 500 },
    description: 'Only these ids (repeat the parameter, or separate them with commas): the batch read of a refresh',
  },
};

/** `limit` of the lists that page with a cursor of their own. */
export const limitQuery = (max: number, dflt = 100): QueryDoc => ({ schema: { type: 'integer', minimum: 1, maximum: max, default: dflt }, description: 'Items per page' });

export const CURSOR_QUERY: QueryDoc = { schema: { type: 'string' }, description: 'next_cursor of the previous page' };
