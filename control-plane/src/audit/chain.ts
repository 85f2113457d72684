import { rawRows, type Tx } from '../db/connection.js';
import { signBytes, type KeyRing, type SigningKey } from '../crypto/keys.js';
import { emitEventAppended } from './hooks.js';
import { EVENT_FORMAT, GENESIS_HASH, eventHash } from './event-hash.js';
import { signHead } from './head.js';

export { GENESIS_HASH };

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
  /** What the hash covers (see event-hash.ts). */
  format: number;
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

/** Starts a tenant's chain; called in the transaction that creates the tenant. */
export async function startChain(trx: Tx, tenantId: string): Promise<void> {
  await trx('audit_heads').insert({ tenant_id: tenantId, seq: 0, hash: GENESIS_HASH });
}

interface Head {
  seq: number;
  hash: string;
  hubKeyId: string | null;
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

const INSERT_COLUMNS = 'format, tenant_id, seq, type, actor, subject, data, occurred_at, prev_hash, hash, key_id, signature, hub_key_id, hub_signature';
// Typed, because rows come through a VALUES list rather than straight into the table.
const ROW = '(?::smallint, ?::text, ?::bigint, ?::text, ?::text, ?::text, ?::jsonb, ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text)';
// The head moves with a signature of where it now is, so moving it back over a deleted tail takes a signature the database does not hold.
const MOVE_HEAD = 'seq = ?, hash = ?, key_id = ?, signature = ?, signed_at = ?::timestamptz';

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
    const done = await appendAfter(trx, keys, tenantId, events, held);
    if (done) return done;
  }
  // The head, locked, and the tenant's Hub key, in one round trip. The key comes from the
  // statement's snapshot, taken before it waited for the lock, so it can miss a Hub key
  // committed (with its hub.provisioned event) by the lock's holder; appendAfter checks it again
  // with the lock held, and only then is it read on its own.
  const [headRow] = rawRows(
    await trx.raw(
      `SELECT h.seq, h.hash, k.id AS hub_key_id, k.private_key_enc AS hub_private_key_enc
         FROM audit_heads h
         LEFT JOIN signing_keys k ON k.tenant_id = h.tenant_id AND k.purpose = 'hub' AND k.retired_at IS NULL
        WHERE h.tenant_id = ?
          FOR UPDATE OF h`,
      [tenantId],
    ),
  );
  if (!headRow) throw new Error(`tenant ${tenantId} has no audit chain`);
  const head: Head = { seq: Number(headRow.seq), hash: headRow.hash, hubKeyId: headRow.hub_key_id ?? null, hubPrivateKeyEnc: headRow.hub_private_key_enc };
  const done = await appendAfter(trx, keys, tenantId, events, head);
  if (done) return done;
  const hub = await trx('signing_keys').where({ tenant_id: tenantId, purpose: 'hub' }).whereNull('retired_at').first('id', 'private_key_enc');
  const again = await appendAfter(trx, keys, tenantId, events, { ...head, hubKeyId: hub?.id ?? null, hubPrivateKeyEnc: hub?.private_key_enc });
  if (!again) throw new Error(`the audit head of tenant ${tenantId} moved while this transaction held it`);
  return again;
}

/**
 * Appends the events after `head` and moves the head, in one statement, if the head and the
 * tenant's Hub key still are what `head` says (checked in the statement itself, with the head
 * locked); undefined, having written nothing, otherwise.
 */
async function appendAfter(trx: Tx, keys: KeyRing, tenantId: string, events: NewEvent[], head: Head): Promise<StoredEvent[] | undefined> {
  const chain = await sealAll(keys, trx, tenantId, events, head);
  const signed = await headSignature(keys, trx, chain[chain.length - 1]!);
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
         UPDATE audit_heads SET ${MOVE_HEAD} WHERE tenant_id = ? AND EXISTS (SELECT 1 FROM ev)
       )
       SELECT id, seq FROM ev`,
      [tenantId, ...chain.flatMap(insertValues), head.seq, head.hash, tenantId, head.hubKeyId, ...signed, tenantId],
    ),
  );
  return ids.length ? appended(trx, keys, head, chain, ids) : undefined;
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

/** The values of MOVE_HEAD for a head at `last`. */
async function headSignature(keys: KeyRing, trx: Tx, last: Sealed): Promise<Array<string | number>> {
  const h = signHead(await keys.activeKey(trx, 'audit'), last.tenant_id, last.seq, last.hash);
  return [h.seq, h.hash, h.key_id, h.signature, h.signed_at];
}

/** The event after `head`: its hash, the control plane's signature and the Hub's co-signature. */
async function sealed(keys: KeyRing, trx: Tx, tenantId: string, ev: NewEvent, head: Head): Promise<Sealed> {
  const signer = await keys.activeKey(trx, 'audit');
  const hub: SigningKey | undefined = head.hubKeyId
    ? keys.fromRow({ id: head.hubKeyId, purpose: 'hub', tenant_id: tenantId, private_key_enc: head.hubPrivateKeyEnc! })
    : undefined;
  const draft = {
    format: EVENT_FORMAT,
    tenant_id: tenantId,
    seq: head.seq + 1,
    type: ev.type,
    actor: ev.actor,
    subject: ev.subject ?? null,
    data: ev.data ?? {},
    // Millisecond precision survives the round trip through timestamptz and JavaScript Dates.
    occurred_at: new Date(),
    prev_hash: head.hash,
    key_id: signer.id,
    hub_key_id: hub?.id ?? null,
  };
  const hash = eventHash(draft);
  const digest = Buffer.from(hash, 'hex');
  return {
    ...draft,
    hash,
    signature: signBytes(signer.privateKey, digest),
    hub_signature: hub ? signBytes(hub.privateKey, digest) : null,
  };
}

const insertValues = (e: Sealed) => [e.format, e.tenant_id, e.seq, e.type, e.actor, e.subject, JSON.stringify(e.data), e.occurred_at, e.prev_hash, e.hash, e.key_id, e.signature, e.hub_key_id, e.hub_signature];

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

export { verifyChain, type VerifyResult } from './verify.js';
