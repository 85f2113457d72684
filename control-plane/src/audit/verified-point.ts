import { rawRows, type Queryable } from '../db/connection.js';
import { signBytes, verifyBytes, type KeyRing } from '../crypto/keys.js';
import { canonicalJson } from './canonical.js';
import type { ResumePoint, VerifyResult, Walk } from './verify.js';

/**
 * Names what a verified-point signature is, so it cannot be taken for a head or an event
 * signature made with the same audit key.
 */
const CONTEXT = 'claresia.audit_verified.v1';

type Broken = NonNullable<VerifyResult['first_broken']>;

export interface Recorded {
  /** Where the chain last checked out, when its signature holds and the event there is unchanged. */
  point?: ResumePoint;
  /** The break the last failed walk found, kept until a full verify checks out. */
  broken?: Broken;
}

function message(tenantId: string, p: ResumePoint, verifiedAt: string): Buffer {
  return Buffer.from(
    canonicalJson({ context: CONTEXT, tenant_id: tenantId, seq: p.seq, hash: p.hash, format: p.format, hub_key_id: p.hub_key_id, legacy_gaps: p.legacy_gaps, verified_at: verifiedAt }),
    'utf8',
  );
}

const iso = (v: unknown) => new Date(v as string).toISOString();
const gaps = (v: unknown): number[] => (typeof v === 'string' ? JSON.parse(v) : ((v as number[] | null) ?? [])).map(Number);

/**
 * The tenant's recorded verification. A point is given only when its signature is by an audit
 * key of this control plane and the event it names still has the hash it had: anything else
 * (a forged or edited row, a rewritten event) leaves the caller to walk from the start, which
 * finds what changed.
 */
export async function loadRecorded(db: Queryable, keys: KeyRing, tenantId: string): Promise<Recorded> {
  const [row] = rawRows(
    await db.raw(
      `SELECT v.*, e.hash AS anchor_hash
         FROM audit_verified v
         LEFT JOIN governance_events e ON e.tenant_id = v.tenant_id AND e.seq = v.seq
        WHERE v.tenant_id = ?`,
      [tenantId],
    ),
  );
  if (!row) return {};
  const broken: Broken | undefined = row.broken_reason ? { seq: Number(row.broken_seq), id: row.broken_id === null ? null : Number(row.broken_id), reason: row.broken_reason } : undefined;
  if (row.seq === null || !row.signature || !row.key_id || !row.verified_at) return { broken };
  const point: ResumePoint = { seq: Number(row.seq), hash: row.hash, format: Number(row.format), hub_key_id: row.hub_key_id ?? null, legacy_gaps: gaps(row.legacy_gaps) };
  // Event 0 is the genesis: no row to compare with.
  if (point.seq > 0 && row.anchor_hash !== point.hash) return { broken };
  const signer = await keys.trustedKey(db, row.key_id);
  if (signer?.purpose !== 'audit' || signer.tenantId !== null) return { broken };
  if (!verifyBytes(signer.publicKey, message(tenantId, point, iso(row.verified_at)), row.signature)) return { broken };
  return { point, broken };
}

const NO_POINT = 'seq = NULL, hash = NULL, format = NULL, hub_key_id = NULL, legacy_gaps = NULL, key_id = NULL, signature = NULL, verified_at = NULL';

/**
 * Drops the point of a row that also records a break, as rows written before review v2 F3 do
 * (or one a replica's walk from a point put back while another recorded a break).
 */
export async function dropPoint(db: Queryable, tenantId: string): Promise<void> {
  await db.raw(`UPDATE audit_verified SET ${NO_POINT} WHERE tenant_id = ? AND broken_reason IS NOT NULL`, [tenantId]);
}

/**
 * Records the outcome of a walk. A walk that checked out moves the point forward (never back:
 * another replica may have gone further); a full one also clears a recorded break, as the chain
 * checks out again (restored from a backup). A walk that failed records its break and drops the
 * point: the break columns are not signed, so a database writer can clear them, and with no
 * point left the next health read walks from the first event and finds the break itself
 * (review v2 F3). For the same reason a walk that only went on from a point does not put one
 * back while a break is recorded (another replica's full walk may have found it meanwhile).
 */
export async function recordWalk(db: Queryable, keys: KeyRing, tenantId: string, walk: Walk, full: boolean): Promise<void> {
  const now = new Date().toISOString();
  if (!walk.resume) {
    const b = walk.result.first_broken!;
    await db.raw(
      `INSERT INTO audit_verified (tenant_id, broken_seq, broken_id, broken_reason, broken_at) VALUES (?, ?, ?, ?, ?::timestamptz)
       ON CONFLICT (tenant_id) DO UPDATE SET broken_seq = EXCLUDED.broken_seq, broken_id = EXCLUDED.broken_id, broken_reason = EXCLUDED.broken_reason, broken_at = EXCLUDED.broken_at,
         ${NO_POINT}`,
      [tenantId, b.seq, b.id, b.reason, now],
    );
    return;
  }
  const p = walk.resume;
  const key = await keys.activeKey(db, 'audit');
  const signature = signBytes(key.privateKey, message(tenantId, p, now));
  await db.raw(
    `INSERT INTO audit_verified (tenant_id, seq, hash, format, hub_key_id, legacy_gaps, key_id, signature, verified_at)
     VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::timestamptz)
     ON CONFLICT (tenant_id) DO UPDATE SET
       seq = EXCLUDED.seq, hash = EXCLUDED.hash, format = EXCLUDED.format, hub_key_id = EXCLUDED.hub_key_id,
       legacy_gaps = EXCLUDED.legacy_gaps, key_id = EXCLUDED.key_id, signature = EXCLUDED.signature, verified_at = EXCLUDED.verified_at,
       broken_seq = CASE WHEN ? THEN NULL ELSE audit_verified.broken_seq END,
       broken_id = CASE WHEN ? THEN NULL ELSE audit_verified.broken_id END,
       broken_reason = CASE WHEN ? THEN NULL ELSE audit_verified.broken_reason END,
       broken_at = CASE WHEN ? THEN NULL ELSE audit_verified.broken_at END
     WHERE (audit_verified.broken_reason IS NULL AND (audit_verified.seq IS NULL OR audit_verified.seq <= EXCLUDED.seq))
        OR (? AND audit_verified.broken_reason IS NOT NULL)`,
    [tenantId, p.seq, p.hash, p.format, p.hub_key_id, JSON.stringify(p.legacy_gaps), key.id, signature, now, full, full, full, full, full],
  );
}
