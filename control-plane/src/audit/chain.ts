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

interface Head {
  seq: number;
  hash: string;
  hubKeyId: string | null;
  hubPublicKey?: string;
  hubPrivateKeyEnc?: string;
}

/**
 * The heads an open transaction holds locked, as its own last append left them. A transaction
 * appending several events (a batch of SCIM writes, a CSV import) then needs no read of the head
 * before each: the insert checks the guess in the same statement and falls back to a read when
 * it is wrong (another path moved the head, a Hub key appeared), so the cache can only save a
 * round trip, never link an event to the wrong predecessor.
 */
const heldHeads = new WeakMap<Tx, Map<string, Head>>();

const INSERT_COLUMNS = 'tenant_id, seq, type, actor, subject, data, occurred_at, prev_hash, hash, key_id, signature, hub_key_id, hub_signature';
// Typed, because rows come through a VALUES list rather than straight into the table.
const ROW = '(?::text, ?::bigint, ?::text, ?::text, ?::text, ?::jsonb, ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text)';

/**
 * Appends an event to the tenant's chain inside the caller's transaction, so the event
 * exists exactly when the change it records does. The head row lock orders concurrent
 * appends of one tenant; other tenants are not blocked.
 */
export async function appendEvent(trx: Tx, keys: KeyRing, tenantId: string, ev: NewEvent): Promise<StoredEvent> {
  return (await appendEvents(trx, keys, tenantId, [ev]))[0]!;
}

/** Appends several events, in order, in one statement (a batch of writes of one tenant). */
export async function appendEvents(trx: Tx, keys: KeyRing, tenantId: string, events: NewEvent[]): Promise<StoredEvent[]> {
  if (!events.length) return [];
  const held = heldHeads.get(trx)?.get(tenantId);
  if (held) {
    const chain = await sealAll(keys, trx, tenantId, events, held);
    const last = chain[chain.length - 1]!;
    // The guess holds when the head and the tenant's Hub key are what this transaction last saw.
    const ids = rawRows(
      await trx.raw(
        `WITH h AS (
           SELECT seq, hash FROM audit_heads WHERE tenant_id = ? FOR UPDATE
         ), ev AS (
           INSERT INTO governance_events (${INSERT_COLUMNS})
           SELECT v.* FROM (VALUES ${chain.map(() => ROW).join(', ')}) AS v, h
            WHERE h.seq = ? AND h.hash = ?
              AND (SELECT k.id FROM signing_keys k WHERE k.tenant_id = ? AND k.purpose = 'hub' AND k.retired_at IS NULL) IS NOT DISTINCT FROM ?::text
           RETURNING id, seq
         ), moved AS (
           UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ? AND EXISTS (SELECT 1 FROM ev)
         )
         SELECT id, seq FROM ev`,
        [tenantId, ...chain.flatMap(insertValues), held.seq, held.hash, tenantId, held.hubKeyId, last.seq, last.hash, tenantId],
      ),
    );
    if (ids.length) return appended(trx, keys, held, chain, ids);
  }
  // One round trip: the head, locked, and the tenant's Hub key if it has a Hub.
  const [headRow] = rawRows(
    await trx.raw(
      `SELECT h.seq, h.hash, k.id AS hub_key_id, k.public_key AS hub_public_key, k.private_key_enc AS hub_private_key_enc
         FROM audit_heads h
         LEFT JOIN signing_keys k ON k.tenant_id = h.tenant_id AND k.purpose = 'hub' AND k.retired_at IS NULL
        WHERE h.tenant_id = ?
          FOR UPDATE OF h`,
      [tenantId],
    ),
  );
  if (!headRow) throw new Error(`tenant ${tenantId} has no audit chain`);
  const head: Head = { seq: Number(headRow.seq), hash: headRow.hash, hubKeyId: headRow.hub_key_id ?? null, hubPublicKey: headRow.hub_public_key, hubPrivateKeyEnc: headRow.hub_private_key_enc };
  const chain = await sealAll(keys, trx, tenantId, events, head);
  const last = chain[chain.length - 1]!;
  // The events and the head's move in one statement (one round trip).
  const ids = rawRows(
    await trx.raw(
      `WITH ev AS (
         INSERT INTO governance_events (${INSERT_COLUMNS}) SELECT v.* FROM (VALUES ${chain.map(() => ROW).join(', ')}) AS v RETURNING id, seq
       ), moved AS (
         UPDATE audit_heads SET seq = ?, hash = ? WHERE tenant_id = ?
       )
       SELECT id, seq FROM ev`,
      [...chain.flatMap(insertValues), last.seq, last.hash, tenantId],
    ),
  );
  return appended(trx, keys, head, chain, ids);
}

/** Each event linked to the one before it, the first to `head`. */
async function sealAll(keys: KeyRing, trx: Tx, tenantId: string, events: NewEvent[], head: Head): Promise<Sealed[]> {
  const chain: Sealed[] = [];
  let at = head;
  for (const ev of events) {
    const e = await sealed(keys, trx, tenantId, ev, at);
    chain.push(e);
    at = { ...at, seq: e.seq, hash: e.hash };
  }
  return chain;
}

type Sealed = Omit<StoredEvent, 'id'>;

/** The event after `head`: its hash, the control plane's signature and the Hub's co-signature. */
async function sealed(keys: KeyRing, trx: Tx, tenantId: string, ev: NewEvent, head: Head): Promise<Sealed> {
  const signer = await keys.activeKey(trx, 'audit');
  const hub = head.hubKeyId ? keys.fromRow({ id: head.hubKeyId, public_key: head.hubPublicKey!, private_key_enc: head.hubPrivateKeyEnc! }) : undefined;
  const draft = {
    tenant_id: tenantId,
    seq: head.seq + 1,
    type: ev.type,
    actor: ev.actor,
    subject: ev.subject ?? null,
    data: ev.data ?? {},
    // Millisecond precision survives the round trip through timestamptz and JavaScript Dates.
    occurred_at: new Date(),
    prev_hash: head.hash,
  };
  const hash = eventHash(draft);
  const digest = Buffer.from(hash, 'hex');
  return {
    ...draft,
    hash,
    key_id: signer.id,
    signature: signBytes(signer.privateKey, digest),
    hub_key_id: hub?.id ?? null,
    hub_signature: hub ? signBytes(hub.privateKey, digest) : null,
  };
}

const insertValues = (e: Sealed) => [e.tenant_id, e.seq, e.type, e.actor, e.subject, JSON.stringify(e.data), e.occurred_at, e.prev_hash, e.hash, e.key_id, e.signature, e.hub_key_id, e.hub_signature];

/** Remembers the head this transaction now holds and tells the listeners. */
async function appended(trx: Tx, keys: KeyRing, before: Head, chain: Sealed[], ids: Array<{ id: number | string; seq: number | string }>): Promise<StoredEvent[]> {
  const idOf = new Map(ids.map((r) => [Number(r.seq), Number(r.id)]));
  const last = chain[chain.length - 1]!;
  let heads = heldHeads.get(trx);
  if (!heads) heldHeads.set(trx, (heads = new Map()));
  heads.set(last.tenant_id, { ...before, seq: last.seq, hash: last.hash });
  const stored = chain.map((e) => ({ ...e, id: idOf.get(e.seq)! }));
  for (const e of stored) await emitEventAppended(trx, e, keys);
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
  // One snapshot for the head and every page: an event appended meanwhile is not half seen.
  if (!(db as Tx).isTransaction) return (db as Exclude<Queryable, Tx>).transaction((trx) => verifyChain(trx, keys, tenantId, pageSize), { isolationLevel: 'repeatable read' });
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
