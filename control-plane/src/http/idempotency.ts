import { resources } from '@claresia/catalog';
import type { Principal } from '../auth/principal.js';
import type { KeyRing } from '../crypto/keys.js';
import type { Tx } from '../db/connection.js';
import { ApiError } from './errors.js';

/**
 * How long a POST's Idempotency-Key is remembered (Stripe's period). A client retries within
 * seconds or minutes (the shared client: backoff capped at 8 s, 5 retries); a record older
 * than this is treated as absent and swept by the retention job.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

const TABLE = 'idempotency_keys';

/**
 * Field names whose values are secrets: every attribute the catalog marks sensitive, write-only
 * or returned once, plus the OAuth token fields a hand-written route could answer with. A reply
 * holding one of them is never stored as it was: secrets are shown once (DESIGN.md).
 */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  ...resources.flatMap((r) => Object.entries(r.attributes).filter(([, a]) => a.sensitive || a.writeOnly || a.returnedOnce).map(([name]) => name)),
  'access_token',
  'refresh_token',
  'id_token',
]);

/** The body with every secret value replaced by null, and where those values were. */
export function withoutSecrets(body: unknown, at = ''): { body: unknown; withheld: string[] } {
  if (Array.isArray(body)) {
    const withheld: string[] = [];
    const out = body.map((v, i) => {
      const r = withoutSecrets(v, `${at}[${i}]`);
      withheld.push(...r.withheld);
      return r.body;
    });
    return { body: out, withheld };
  }
  if (body === null || typeof body !== 'object') return { body, withheld: [] };
  const withheld: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const field = at ? `${at}.${k}` : k;
    if (SECRET_FIELDS.has(k) && v !== null && v !== undefined && v !== '') {
      out[k] = null;
      withheld.push(field);
      continue;
    }
    const r = withoutSecrets(v, field);
    out[k] = r.body;
    withheld.push(...r.withheld);
  }
  return { body: out, withheld };
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
 * The answer to a request whose key this principal used before, inside the request's
 * transaction (undefined: run it). Requests sharing a key wait for each other on an advisory
 * lock, so a concurrent retry sees the first one's record instead of racing it into a conflict.
 */
export async function replay(trx: Tx, keys: KeyRing, r: IdempotencyRecord, requestHash: string, now = new Date()): Promise<StoredReply | undefined> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [aad(r)]);
  const prior = await trx(TABLE).where(r).first();
  if (!prior) return undefined;
  if (now.getTime() - new Date(prior.created_at).getTime() >= IDEMPOTENCY_TTL_MS) {
    // Expired, though not swept yet: the key starts afresh.
    await trx(TABLE).where(r).delete();
    return undefined;
  }
  if (prior.request_hash !== requestHash) {
    throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used with a different request', 'Idempotency-Key');
  }
  const stored = prior.headers ? (JSON.parse(keys.open(prior.headers, `${aad(r)}:headers`).toString('utf8')) as Record<string, string>) : {};
  const headers: Record<string, string> = { ...stored, 'Idempotent-Replayed': 'true' };
  const body = JSON.parse(keys.open(prior.response_enc, aad(r)).toString('utf8')) as unknown;
  if (prior.secret_withheld) throw secretNotReplayed(prior.status as number, body, headers);
  return { status: prior.status as number, body, headers };
}

/** Remembers a successful reply, without its secrets, in the transaction that made it. */
export async function remember(trx: Tx, keys: KeyRing, r: IdempotencyRecord, requestHash: string, reply: StoredReply, now = new Date()): Promise<void> {
  const { body, withheld } = withoutSecrets(reply.body ?? null);
  await trx(TABLE).insert({
    ...r,
    request_hash: requestHash,
    status: reply.status,
    response_enc: keys.seal(JSON.stringify(body), aad(r)),
    // Sealed like the body: a redirect's Location may carry a state or a code.
    headers: Object.keys(reply.headers).length ? keys.seal(JSON.stringify(reply.headers), `${aad(r)}:headers`) : null,
    secret_withheld: withheld.length > 0,
    created_at: now,
  });
}

/**
 * A retry of a request that completed with a secret in its answer. Replaying it without the
 * secret would let a client (Terraform keeps the first value of a returned-once attribute)
 * store nothing and never say so; running it again would make a second object. So the caller
 * is told what happened and how to get a new secret.
 */
function secretNotReplayed(status: number, body: unknown, headers: Record<string, string>): ApiError {
  const location = headers.Location ?? headers.location;
  const id = body && typeof body === 'object' && typeof (body as { id?: unknown }).id === 'string' ? (body as { id: string }).id : undefined;
  const fields = secretFieldsOf(body);
  const what = location ? ` for ${location}` : id ? ` for ${id}` : '';
  return new ApiError(
    409,
    'request_already_completed',
    `a request with this Idempotency-Key already completed (${status}${what}); its answer held ${fields}, ` +
      'which is shown only once and is not kept for a retry: rotate it (or delete the object and create it again) to get a new one',
    'Idempotency-Key',
    headers,
  );
}

function secretFieldsOf(body: unknown): string {
  const names = body && typeof body === 'object' ? Object.keys(body as object).filter((k) => SECRET_FIELDS.has(k)) : [];
  return names.length ? `a secret (${names.join(', ')})` : 'a secret';
}
