import type { Db, Queryable } from '../db/connection.js';

/**
 * The log of what IdPs wrote (and failed to write), one row per user or group write, read by
 * POST /api/v1/roster/scim:sync. Successful writes are logged in their own transaction; failed
 * ones after it rolled back, so the error is reported even though nothing else was stored.
 */
export type ChangeOp = 'created' | 'updated' | 'deprovisioned' | 'reactivated' | 'deleted' | 'error';

export async function recordChange(
  db: Queryable,
  c: { tenantId: string; directoryId: string; kind: 'user' | 'group'; op: ChangeOp; subjectId: string | null; detail: Record<string, unknown> },
): Promise<void> {
  await db('scim_changes').insert({
    tenant_id: c.tenantId,
    directory_id: c.directoryId,
    kind: c.kind,
    op: c.op,
    subject_id: c.subjectId,
    detail: JSON.stringify(c.detail),
    created_at: new Date(),
  });
}

/** A failed write: the method, path, HTTP status and the SCIM error body the IdP received. */
export async function recordFailure(
  db: Db,
  c: { tenantId: string; directoryId: string; kind: 'user' | 'group'; subjectId: string | null; method: string; path: string; status: number; body: unknown },
): Promise<void> {
  await recordChange(db, { ...c, op: 'error', detail: { method: c.method, path: c.path, status: c.status, body: c.body } });
}
