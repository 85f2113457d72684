import type { Queryable } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { columnsOf, tableExists } from './schema-probe.js';

/**
 * The tenant's Hub as one health read sees it: the columns of the hubs table (a control plane not
 * yet migrated may lack the link columns) and the latest live row, if any. Read once per health
 * read and handed to both users, the link check on read and the facts; `null`: no hubs table.
 */
export interface HubRead {
  columns: Set<string>;
  row: Record<string, unknown> | undefined;
}

export async function readHub(db: Queryable, scope: TenantScope): Promise<HubRead | null> {
  if (!(await tableExists(db, 'hubs'))) return null;
  const columns = await columnsOf(db, 'hubs');
  return { columns, row: await latestHubRow(scope, columns) };
}

/** The latest Hub not deleted; again after a link check on read recorded what it found in it. */
export async function latestHubRow(scope: TenantScope, columns: Set<string>): Promise<Record<string, unknown> | undefined> {
  let q = scope.table('hubs');
  if (columns.has('deleted_at')) q = q.whereNull('deleted_at');
  return (await q.orderBy('created_at', 'desc').first()) as Record<string, unknown> | undefined;
}
