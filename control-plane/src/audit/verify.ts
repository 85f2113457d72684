import { rawRows, type Queryable } from '../db/connection.js';
import { verifyBytesAsync, type KeyRing, type TrustedKey } from '../crypto/keys.js';
import { GENESIS_HASH, KNOWN_FORMATS, eventHash } from './event-hash.js';
import { headSignatureValid } from './head.js';

export interface VerifyResult {
  tenant_id: string;
  ok: boolean;
  events_checked: number;
  head_seq: number;
  /** The hash of the last event, when the chain checks out. */
  head_hash?: string;
  /** The first event that does not check out, and why. */
  first_broken?: { seq: number; id: number | null; reason: string };
  /**
   * Format-1 events (written before migration 0520) that should carry a Hub co-signature and do
   * not. The release before 0520 could write one without it (an event appended while the Hub's
   * provisioner held the head), and format 1 does not hash the key ids, so such an event cannot be
   * told from one whose co-signature was stripped later: reported, not counted as a break. A
   * format-2 event without one is a break.
   */
  legacy_gaps: number[];
}

/** Where a walk stopped on a chain that checked out: enough to go on from there later. */
export interface ResumePoint {
  seq: number;
  hash: string;
  /** The format of event `seq` (a later event may not be in a lower one). */
  format: number;
  /** The Hub key every event after `seq` must be co-signed with, if any. */
  hub_key_id: string | null;
  legacy_gaps: number[];
}

export interface Walk {
  result: VerifyResult;
  /** Where the chain checked out to, when it did. */
  resume?: ResumePoint;
  /** Rows read from governance_events: the cost of the walk. */
  events_read: number;
}

/**
 * Events checked together: their signatures are verified on libuv's thread pool while the loop
 * serves other requests, and the loop is given back between batches (a million-event chain is
 * about two million Ed25519 verifications).
 */
const BATCH = 64;

interface Broken {
  seq: number;
  id: number | null;
  reason: string;
}

/**
 * Walks the whole chain in pages and names the first broken link. Trusts only what the master
 * key vouches for: each signature must come from an audit key of this control plane, each
 * co-signature from the tenant's own Hub key, and the head must be signed where it stands.
 *
 * No snapshot is held across the walk (a long one would hold PGlite's only connection): the head
 * and the last event's seq are read in one statement, and only events up to that head are read
 * after it. Events never change once committed, so later appends cannot make the walk inconsistent.
 */
export async function verifyChain(db: Queryable, keys: KeyRing, tenantId: string, pageSize = 1000): Promise<VerifyResult> {
  return (await walkChain(db, keys, tenantId, { pageSize })).result;
}

/**
 * verifyChain, optionally going on from a point an earlier walk checked (events up to it are
 * not read again: only the link from it, the events after it and the head are checked).
 */
export async function walkChain(db: Queryable, keys: KeyRing, tenantId: string, opts: { from?: ResumePoint; pageSize?: number } = {}): Promise<Walk> {
  const pageSize = opts.pageSize ?? 1000;
  const from = opts.from;
  const [head] = rawRows(
    await db.raw(
      `SELECT h.seq, h.hash, h.key_id, h.signature, h.signed_at,
              (SELECT max(e.seq) FROM governance_events e WHERE e.tenant_id = h.tenant_id) AS last_seq
         FROM audit_heads h
        WHERE h.tenant_id = ?`,
      [tenantId],
    ),
  );
  const headSeq = head ? Number(head.seq) : 0;
  let checked = from?.seq ?? 0;
  let read = 0;
  const legacyGaps = [...(from?.legacy_gaps ?? [])];
  const fail = (b: Broken): Walk => ({
    result: { tenant_id: tenantId, ok: false, events_checked: checked, head_seq: headSeq, first_broken: b, legacy_gaps: legacyGaps },
    events_read: read,
  });
  if (!head) return fail({ seq: 1, id: null, reason: 'the tenant has no chain head' });
  const lastSeq = head.last_seq === null || head.last_seq === undefined ? 0 : Number(head.last_seq);
  if (lastSeq > headSeq) return fail({ seq: headSeq + 1, id: null, reason: `the chain goes on to event ${lastSeq} but its head says ${headSeq}` });
  if (from && from.seq > headSeq) return fail({ seq: headSeq + 1, id: null, reason: `events up to ${from.seq} were verified but the chain head says ${headSeq}` });

  const trusted = (id: string | null) => (id ? keys.trustedKey(db, id) : Promise.resolve(undefined));
  const isAuditKey = (k: TrustedKey | undefined): k is TrustedKey => k?.purpose === 'audit' && k.tenantId === null;
  const isHubKey = (k: TrustedKey | undefined): k is TrustedKey => k?.purpose === 'hub' && k.tenantId === tenantId;

  let prevHash = from?.hash ?? GENESIS_HASH;
  let expectedSeq = (from?.seq ?? 0) + 1;
  let lastFormat = from?.format ?? 1;
  // The Hub key every event must be co-signed with from here on: set by hub.provisioned (whose
  // data names the key, under the hash in every format) or by the first co-signed event, cleared
  // by hub.deleted (the last event the Hub co-signs).
  let hubKeyId: string | null = from?.hub_key_id ?? null;

  /** Checks a batch; the signatures of the events that pass the other checks are verified together. */
  async function checkBatch(rows: Array<Record<string, any>>): Promise<Broken | undefined> {
    const signed: Array<{ seq: number; id: number; signature: Promise<boolean>; cosignature?: Promise<boolean> }> = [];
    let broken: Broken | undefined;
    for (const r of rows) {
      const seq = Number(r.seq);
      const id = Number(r.id);
      const at = (reason: string): Broken => ({ seq, id, reason });
      const format = Number(r.format ?? 1);
      if (seq !== expectedSeq) {
        broken = { seq: expectedSeq, id: null, reason: `event ${expectedSeq} is missing` };
        break;
      }
      if (!KNOWN_FORMATS.has(format)) {
        broken = at(`event format ${r.format} is unknown`);
        break;
      }
      if (format < lastFormat) {
        broken = at(`event is in format ${format} after an event in format ${lastFormat}`);
        break;
      }
      if (r.prev_hash !== prevHash) {
        broken = at('prev_hash does not match the previous event');
        break;
      }
      const data = typeof r.data === 'string' ? JSON.parse(r.data) : r.data;
      const hash = eventHash({ ...r, data, seq, format } as Parameters<typeof eventHash>[0]);
      if (hash !== r.hash) {
        broken = at('content does not match its hash');
        break;
      }
      const signer = await trusted(r.key_id);
      if (!isAuditKey(signer)) {
        broken = at(`signed with key ${r.key_id}, which is not an audit key of this control plane`);
        break;
      }
      if (r.type === 'hub.provisioned' && typeof data?.hub_key_id === 'string') hubKeyId = data.hub_key_id;
      const digest = Buffer.from(hash, 'hex');
      let cosignature: Promise<boolean> | undefined;
      if (r.hub_key_id) {
        const hub = await trusted(r.hub_key_id);
        if (!isHubKey(hub)) {
          broken = at(`hub co-signature is by key ${r.hub_key_id}, which is not this tenant's Hub key`);
          break;
        }
        if (hubKeyId && r.hub_key_id !== hubKeyId) {
          broken = at(`hub co-signature is by key ${r.hub_key_id}, not by the Hub key ${hubKeyId}`);
          break;
        }
        hubKeyId = r.hub_key_id;
        cosignature = verifyBytesAsync(hub.publicKey, digest, r.hub_signature ?? '');
      } else if (hubKeyId && format === 1) {
        legacyGaps.push(seq);
      } else if (hubKeyId) {
        broken = at(`hub co-signature is missing: every event since the Hub's key ${hubKeyId} appeared must carry one`);
        break;
      }
      if (r.type === 'hub.deleted') hubKeyId = null;
      signed.push({ seq, id, signature: verifyBytesAsync(signer.publicKey, digest, r.signature), cosignature });
      prevHash = r.hash;
      expectedSeq = seq + 1;
      lastFormat = format;
    }
    for (const s of signed) {
      if (!(await s.signature)) return { seq: s.seq, id: s.id, reason: 'control-plane signature is invalid' };
      if (s.cosignature && !(await s.cosignature)) return { seq: s.seq, id: s.id, reason: 'hub co-signature is invalid' };
      checked++;
    }
    return broken;
  }

  while (expectedSeq <= headSeq) {
    const rows = await db('governance_events')
      .where({ tenant_id: tenantId })
      .andWhere('seq', '>=', expectedSeq)
      .andWhere('seq', '<=', headSeq)
      .orderBy('seq')
      .limit(pageSize);
    if (rows.length === 0) break;
    read += rows.length;
    for (let i = 0; i < rows.length; i += BATCH) {
      const broken = await checkBatch(rows.slice(i, i + BATCH));
      if (broken) return fail(broken);
    }
  }
  if (checked !== headSeq) return fail({ seq: checked + 1, id: null, reason: `chain ends at ${checked} but its head says ${headSeq}` });
  if (head.hash !== prevHash) return fail({ seq: headSeq, id: null, reason: 'chain head hash does not match the last event' });
  if (head.signature) {
    const signer = await trusted(head.key_id);
    if (!isAuditKey(signer)) return fail({ seq: headSeq, id: null, reason: `the chain head is signed with key ${head.key_id}, which is not an audit key of this control plane` });
    const statement = { tenant_id: tenantId, seq: headSeq, hash: head.hash, signed_at: head.signed_at, key_id: head.key_id, signature: head.signature };
    if (!head.signed_at || !headSignatureValid(signer.publicKey, statement)) return fail({ seq: headSeq, id: null, reason: 'the chain head signature is invalid' });
  } else if (headSeq === 0 || lastFormat >= 2) {
    // Every append since migration 0520 signs the head; only a chain last written before it may end unsigned.
    return fail({ seq: headSeq, id: null, reason: 'the chain head is not signed' });
  }
  return {
    result: { tenant_id: tenantId, ok: true, events_checked: checked, head_seq: headSeq, head_hash: head.hash, legacy_gaps: legacyGaps },
    resume: { seq: headSeq, hash: head.hash, format: lastFormat, hub_key_id: hubKeyId, legacy_gaps: legacyGaps },
    events_read: read,
  };
}
