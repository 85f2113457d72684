import type { TenantScope } from '../db/tenant-scope.js';

export interface RosterSummary {
  users: number;
  matched: number;
  unmatched: number;
  overrides: number;
  by_archetype: Record<string, number>;
  last_import: { id: string; source: string; rows: number; finished_at: string } | null;
}

/** Totals over active members; the roster health check and GET /roster both read them here. */
export async function rosterSummary(scope: TenantScope): Promise<RosterSummary> {
  const groups = (await scope
    .table('roster_members')
    .where('active', true)
    .groupBy('archetype')
    .select('archetype')
    .count({ n: '*' })) as Array<{ archetype: string | null; n: number | string }>;
  const [ov] = (await scope.table('roster_members').where('active', true).whereNotNull('override_archetype').count({ n: '*' })) as Array<{ n: number | string }>;
  const by: Record<string, number> = {};
  let users = 0;
  let unmatched = 0;
  for (const g of groups) {
    const n = Number(g.n);
    users += n;
    if (g.archetype === null) unmatched += n;
    else by[g.archetype] = n;
  }
  const last = await scope.table('roster_imports').orderBy('finished_at', 'desc').first('id', 'source', 'rows', 'finished_at');
  return {
    users,
    matched: users - unmatched,
    unmatched,
    overrides: Number(ov?.n ?? 0),
    by_archetype: by,
    last_import: last ? { id: last.id, source: last.source, rows: Number(last.rows), finished_at: new Date(last.finished_at).toISOString() } : null,
  };
}
