import type { Queryable } from '../db/connection.js';

const TABLE = 'auth_rate_counters';

/**
 * Counts one more occurrence of `bucket` in the current minute for a tenant and returns the count
 * so far, this one included. The counter lives in PostgreSQL so every replica sees the same one;
 * the upsert is atomic, so concurrent callers each get a distinct count. The first count of a
 * minute drops the bucket's earlier minutes.
 */
export async function countThisMinute(db: Queryable, tenantId: string, bucket: string, nowMs = Date.now()): Promise<number> {
  const minute = Math.floor(nowMs / 60_000);
  const rows = (await db(TABLE)
    .insert({ tenant_id: tenantId, bucket, minute, n: 1 })
    .onConflict(['tenant_id', 'bucket', 'minute'])
    .merge({ n: db.raw(`${TABLE}.n + 1`) })
    .returning('n')) as Array<{ n: number | string }>;
  const n = Number(rows[0]!.n);
  if (n === 1) await db(TABLE).where({ tenant_id: tenantId, bucket }).andWhere('minute', '<', minute).delete();
  return n;
}
