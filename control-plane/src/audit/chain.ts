import { rawRows, type Queryable, type Tx } from '../db/connection.js';
import { signBytes, verifyBytes, type KeyRing } from '../crypto/keys.js';
import { sha256Hex } from '../crypto/secrets.js';
import { canonicalJson } from './canonical.js';
import { emitEventAppended } from './hooks.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface NewEvent {
  type: string;
  /** Who did it: `operator`, `service_account:<client_id>`, `okta:scim`, ... */
  actor: string;
  /** What it was done to, e.g. a resource id. */
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface StoredEvent {
  id: number;
  tenant_id: string;
  seq: number;
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
  key_id: string;
  signature: string;
  hub_key_id: string | null;
  hub_signature: string | null;
}

/** What the hash covers: every field a reader relies on, and the link to the previous event. */
function eventHash(e: Omit<StoredEvent, 'id' | 'hash' | 'key_id' | 'signature' | 'hub_key_id' | 'hub_signature'>): string {
  const body = canonicalJson({
    tenant_id: e.tenant_id,
    seq: Number(e.seq),
    type: e.type,
    actor: e.actor,
    subject: e.subject ?? null,
    data: e.data,
    occurred_at: new Date(e.occurred_at).toISOString(),
  });
  return sha256Hex(`${e.prev_hash}\n${body}`);
}

/** Starts a tenant's chain; called in the transaction that creates the tenant. */
export async function startChain(trx: Tx, tenantId: string): Promise<void> {
  await trx('audit_heads').insert({ tenant_id: tenantId, seq: 0, hash: GENESIS_HASH });
}

/**
 * Appends an event to the tenant's chain inside the caller's transaction, so the event
 * exists exactly when the change it records does. The head row lock orders concurrent
 * appends of one tenant; other tenants are not blocked.
 */
export async function appendEvent(trx: Tx, keys: KeyRing, tenantId: string, ev: NewEvent): Promise<StoredEvent> {
  // One round trip: the head, locked, and the tenant's Hub key if it has a Hub.
  const [head] = rawRows(
    await trx.raw(
      `SELECT h.seq, h.hash, k.id AS hub_key_id, k.public_key AS hub_public_key, k.private_key_enc AS hub_private_key_enc
         FROM audit_heads h
         LEFT JOIN signing_keys k ON k.tenant_id = h.tenant_id AND k.purpose = 'hub' AND k.retired_at IS NULL
        WHERE h.tenant_id = ?
          FOR UPDATE OF h`,
      [tenantId],
    ),
  );
  if (!head) throw new Error(`tenant ${tenantId} has no audit chain`);
  const signer = await keys.activeKey(trx, 'audit');
  const hub = head.hub_key_id ? keys.fromRow({ id: head.hub_key_id, public_key: head.hub_public_key, private_key_enc: head.hub_private_key_enc }) : undefined;
  const draft = {
    tenant_id: tenantId,
    seq: Number(head.seq) + 1,
    type: ev.type,
    actor: ev.actor,
    subject: ev.subject ?? null,
    data: ev.data ?? {},
    // Millisecond precision survives the round trip through timestamptz and JavaScript Dates.
    occurred_at: new Date(),
    prev_hash: head.hash as string,
  };
  const hash = eventHash(draft);
  const digest = Buffer.from(hash, 'hex');
  const row = {
    ...draft,
    data: JSON.stringify(draft.data),
    hash,
    key_id: signer.id,
    signature: signBytes(signer.privateKey, digest),
    hub_key_id: hub?.id ?? null,
    hub_signature: hub ? signBytes(hub.privateKey, digest) : null,
  };
  // The event and the head's move in one statement (one round trip).
  const [inserted] = rawRows(
    await trx.raw(
      `WITH ev AS (
         INSERT INTO governance_events (tenant_id, seq, type, actor, subject, data, occurred_at, prev_hash, hash, key_id, signature, hub_key_id, hub_signature)
         VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?) RETURNING id
       ), moved AS (
         UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ?
       )
       SELECT id FROM ev`,
      [row.tenant_id, row.seq, row.type, row.actor, row.subject, row.data, row.occurred_at, row.prev_hash, row.hash, row.key_id, row.signature, row.hub_key_id, row.hub_signature, draft.seq, hash, tenantId],
    ),
  );
  const stored = { ...row, data: draft.data, id: Number(inserted.id) };
  await emitEventAppended(trx, stored, keys);
  return stored;
}

export interface VerifyResult {
  tenant_id: string;
  ok: boolean;
  events_checked: number;
  head_seq: number;
  /** The first event that does not check out, and why. */
  first_broken?: { seq: number; id: number | null; reason: string };
}

/** Walks the whole chain in pages and names the first broken link. */
export async function verifyChain(db: Queryable, keys: KeyRing, tenantId: string, pageSize = 1000): Promise<VerifyResult> {
  const head = await db('audit_heads').where({ tenant_id: tenantId }).first();
  const headSeq = head ? Number(head.seq) : 0;
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  const fail = (seq: number, id: number | null, reason: string): VerifyResult => ({
    tenant_id: tenantId,
    ok: false,
    events_checked: checked,
    head_seq: headSeq,
    first_broken: { seq, id, reason },
  });
  for (;;) {
    const rows: StoredEvent[] = await db('governance_events')
      .where({ tenant_id: tenantId })
      .andWhere('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize);
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = Number(r.seq);
      const id = Number(r.id);
      if (seq !== expectedSeq) return fail(expectedSeq, null, `event ${expectedSeq} is missing`);
      if (r.prev_hash !== prevHash) return fail(seq, id, 'prev_hash does not match the previous event');
      const data = typeof r.data === 'string' ? JSON.parse(r.data) : r.data;
      const hash = eventHash({ ...r, data, seq });
      if (hash !== r.hash) return fail(seq, id, 'content does not match its hash');
      const pub = await keys.publicKey(db, r.key_id);
      if (!pub || !verifyBytes(pub, Buffer.from(hash, 'hex'), r.signature)) return fail(seq, id, 'control-plane signature is invalid');
      if (r.hub_key_id) {
        const hubPub = await keys.publicKey(db, r.hub_key_id);
        if (!hubPub || !r.hub_signature || !verifyBytes(hubPub, Buffer.from(hash, 'hex'), r.hub_signature))
          return fail(seq, id, 'hub co-signature is invalid');
      }
      prevHash = r.hash;
      expectedSeq = seq + 1;
      checked++;
    }
  }
  if (checked !== headSeq) return fail(checked + 1, null, `chain ends at ${checked} but its head says ${headSeq}`);
  if (head && head.hash !== prevHash) return fail(headSeq, null, 'chain head hash does not match the last event');
  return { tenant_id: tenantId, ok: true, events_checked: checked, head_seq: headSeq };
}
