import { resources } from '@claresia/catalog';
import type { Principal } from '../auth/principal.js';
import type { KeyRing } from '../crypto/keys.js';
import type { Queryable, Tx } from '../db/connection.js';
import { ApiError } from './errors.js';
import { checkStillCurrent, issuedCredentialOf } from './issued-credential.js';

/**
 * How long a POST's Idempotency-Key is remembered (Stripe's period). A client retries within
 * seconds or minutes (the shared client: backoff capped at 8 s, 5 retries); a record older
 * than this is treated as absent and swept by the retention job.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/**
 * How long a reply holding a secret is kept for its caller's retry. The shared client gives up
 * within minutes (at its limits, 20 retries of 30 s attempts and Retry-After capped at 2 min,
 * well under the hour); keeping a secret any longer only widens the time a leaked master key
 * and database would reveal it.
 */
export const SECRET_REPLY_TTL_MS = 3600 * 1000;

/** Whether a record is past its life: an hour if it holds a secret, 24 h otherwise. */
export function expired(record: { created_at: Date | string; holds_secret: boolean }, now: Date): boolean {
  const ttl = record.holds_secret ? SECRET_REPLY_TTL_MS : IDEMPOTENCY_TTL_MS;
  return now.getTime() - new Date(record.created_at).getTime() >= ttl;
}

const TABLE = 'idempotency_keys';

/**
 * Field names whose values are secrets: every attribute the catalog marks sensitive, write-only
 * or returned once, plus the OAuth token fields a hand-written route could answer with. A reply
 * holding one of them is kept only for SECRET_REPLY_TTL_MS: secrets are shown once (DESIGN.md),
 * and the one exception is the retry of the request that made it, by the same caller.
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  ...resources.flatMap((r) => Object.entries(r.attributes).filter(([, a]) => a.sensitive || a.writeOnly || a.returnedOnce).map(([name]) => name)),
  'access_token',
  'refresh_token',
  'id_token',
]);

/** Whether a reply body carries a secret value anywhere in it. */
export function holdsSecret(body: unknown): boolean {
  if (Array.isArray(body)) return body.some(holdsSecret);
  if (body === null || typeof body !== 'object') return false;
  return Object.entries(body as Record<string, unknown>).some(([k, v]) => (SECRET_FIELDS.has(k) && v !== null && v !== undefined && v !== '') || holdsSecret(v));
}

/** A key as one principal used it: two service accounts of a tenant never share records. */
export interface IdempotencyRecord {
  scope: string;
  principal: string;
  key: string;
}

export function recordOf(principal: Principal, key: string): IdempotencyRecord {
  if (principal.kind === 'operator') return { scope: 'operator', principal: 'operator', key };
  return { scope: principal.tenantId, principal: `${principal.subjectType}:${principal.subjectId}`, key };
}

const aad = (r: IdempotencyRecord) => `idempotency:${r.scope}:${r.principal}:${r.key}`;

export interface StoredReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The answer to a request whose key this principal used before (undefined: run it). Requests
 * sharing a key wait for each other on an advisory lock, so a concurrent retry sees the first
 * one's record instead of racing it into a conflict; the lock is the transaction's, so call this
 * inside the transaction that will run the request.
 */
export async function replay(trx: Tx, keys: KeyRing, r: IdempotencyRecord, requestHash: string, now = new Date()): Promise<StoredReply | undefined> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [aad(r)]);
  const prior = await trx(TABLE).where(r).first();
  if (!prior) return undefined;
  if (expired(prior, now)) {
    // Not swept yet: the key starts afresh.
    await trx(TABLE).where(r).delete();
    return undefined;
  }
  return answerOf(trx, keys, r, prior, requestHash);
}

/**
 * A short read, outside any transaction, for a route whose `prepare` step calls out (an IdP):
 * a retry the record answers needs no second fetch. Takes no lock; a request this does not
 * answer still goes through `replay` in its transaction, which decides.
 */
export async function peek(db: Queryable, keys: KeyRing, r: IdempotencyRecord, requestHash: string, now = new Date()): Promise<StoredReply | undefined> {
  const prior = await db(TABLE).where(r).first();
  // An answer that issued a secret is left to `replay`: only a transaction can wait for a rotation
  // of that secret in flight, which this read would not see.
  if (!prior || expired(prior, now) || prior.issued_credential) return undefined;
  return answerOf(db, keys, r, prior, requestHash);
}

/** `db` is the replay's transaction whenever the record notes an issued credential (see peek). */
async function answerOf(db: Queryable, keys: KeyRing, r: IdempotencyRecord, prior: Record<string, any>, requestHash: string): Promise<StoredReply> {
  if (prior.request_hash !== requestHash) {
    throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used with a different request', 'Idempotency-Key');
  }
  // The record stays: a later retry with this key gets the same refusal rather than running the
  // rotation again, until the key is forgotten with the record (SECRET_REPLY_TTL_MS).
  if (prior.issued_credential) await checkStillCurrent(db, prior.issued_credential as string);
  const stored = prior.headers ? (JSON.parse(keys.open(prior.headers, `${aad(r)}:headers`).toString('utf8')) as Record<string, string>) : {};
  const body = JSON.parse(keys.open(prior.response_enc, aad(r)).toString('utf8')) as unknown;
  return { status: prior.status as number, body, headers: { ...stored, 'Idempotent-Replayed': 'true' } };
}

/**
 * Remembers a successful reply, whole and sealed, in the transaction that made it; one holding a
 * secret is marked, so that it expires after SECRET_REPLY_TTL_MS, and the credential its handler
 * marked (http/issued-credential.ts) is noted, so that it is replayed only while still current.
 */
export async function remember(trx: Tx, keys: KeyRing, r: IdempotencyRecord, requestHash: string, reply: StoredReply, now = new Date()): Promise<void> {
  const body = reply.body ?? null;
  await trx(TABLE).insert({
    ...r,
    request_hash: requestHash,
    status: reply.status,
    response_enc: keys.seal(JSON.stringify(body), aad(r)),
    // Sealed like the body: a redirect's Location may carry a state or a code.
    headers: Object.keys(reply.headers).length ? keys.seal(JSON.stringify(reply.headers), `${aad(r)}:headers`) : null,
    holds_secret: holdsSecret(body),
    issued_credential: issuedCredentialOf(reply.body),
    created_at: now,
  });
}
