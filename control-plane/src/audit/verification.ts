import type { Queryable } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { dropPoint, loadRecorded, recordWalk } from './verified-point.js';
import { walkChain, type VerifyResult } from './verify.js';

/**
 * Verifies the whole chain, as GET /api/v1/hub/governance-events:verify and verify-audit do, and
 * records the outcome for the health check.
 */
export async function verifyAndRecord(db: Queryable, keys: KeyRing, tenantId: string): Promise<VerifyResult> {
  const walk = await walkChain(db, keys, tenantId);
  await recordWalk(db, keys, tenantId, walk, true);
  return walk.result;
}

export interface AuditStatus {
  ok: boolean;
  head_seq: number;
  first_broken?: VerifyResult['first_broken'];
  legacy_gaps: number[];
  /** Rows of governance_events this call read. */
  events_read: number;
  /** Whether it went on from a recorded point rather than from the first event. */
  resumed: boolean;
}

/**
 * The chain's state as the health check reports it, at the cost of what was appended since the
 * last verification: a recorded break is reported as it stands (until a full verify checks out),
 * otherwise the walk goes on from the recorded point, or starts from the first event when there
 * is none (or it no longer holds; a recorded break leaves none). What it finds is recorded for
 * the next call.
 */
export async function auditStatus(db: Queryable, keys: KeyRing, tenantId: string): Promise<AuditStatus> {
  const recorded = await loadRecorded(db, keys, tenantId);
  if (recorded.broken) {
    // A point kept beside a break would let a writer who clears the (unsigned) break resume past it.
    if (recorded.point) await dropPoint(db, tenantId);
    return { ok: false, head_seq: recorded.point?.seq ?? 0, first_broken: recorded.broken, legacy_gaps: recorded.point?.legacy_gaps ?? [], events_read: 0, resumed: false };
  }
  const from = recorded.point;
  const walk = await walkChain(db, keys, tenantId, { from });
  // Nothing new checked out: nothing to write (health is read often).
  if (!walk.resume || !from || walk.resume.seq > from.seq) await recordWalk(db, keys, tenantId, walk, !from);
  const r = walk.result;
  return { ok: r.ok, head_seq: r.head_seq, first_broken: r.first_broken, legacy_gaps: r.legacy_gaps, events_read: walk.events_read, resumed: !!from };
}
