import { rawRows, type Queryable } from '../db/connection.js';

/**
 * Whether a table exists (in the current schema). Health checks and telemetry read tables
 * other features own; when a feature has not shipped its migration yet, the honest answer is
 * "missing", not an error and not a green light.
 */
export async function tableExists(db: Queryable, table: string): Promise<boolean> {
  const r = await db.raw('select to_regclass(?) as t', [table]);
  const row = rawRows<{ t: string | null }>(r)[0];
  return !!row?.t;
}

export async function columnsOf(db: Queryable, table: string): Promise<Set<string>> {
  const r = await db.raw('select column_name from information_schema.columns where table_schema = current_schema() and table_name = ?', [table]);
  return new Set(rawRows<{ column_name: string }>(r).map((x) => x.column_name));
}
