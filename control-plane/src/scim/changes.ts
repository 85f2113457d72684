import type { Db } from '../db/connection.js';

/**
 * Failed writes of an IdP (status and SCIM error body), recorded after the transaction rolled
 * back so the failure is reported by POST /api/v1/roster/scim:sync although nothing else was
 * stored. Successful writes need no row here: their governance events are the record.
 */
/** A failed write: the method, path, HTTP status and the SCIM error body the IdP received. */
export async function recordFailure(
  db: Db,
  c: { tenantId: string; directoryId: string; kind: 'user' | 'group'; subjectId: string | null; method: string; path: string; status: number; body: unknown },
): Promise<void> {
  await db('scim_changes').insert({
    tenant_id: c.tenantId,
    directory_id: c.directoryId,
    kind: c.kind,
    op: 'error',
    subject_id: c.subjectId,
    detail: JSON.stringify({ method: c.method, path: c.path, status: c.status, body: c.body }),
    created_at: new Date(),
  });
}
