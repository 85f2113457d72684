import { sha256Hex } from '../crypto/secrets.js';
import { canonicalJson } from './canonical.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The format events are written in. Format 1 (before migration 0520) hashed the event's content
 * and link only; format 2 also hashes the format and the ids of the keys that sign it, so that
 * removing a Hub co-signature, or moving a signature to another key, changes the hash the
 * control plane signed.
 */
export const EVENT_FORMAT = 2;
export const KNOWN_FORMATS: ReadonlySet<number> = new Set([1, 2]);

/** The fields an event's hash covers (by format), and the link to the event before it. */
export interface HashedFields {
  format?: number | string | null;
  tenant_id: string;
  seq: number | string;
  type: string;
  actor: string;
  subject?: string | null;
  data: Record<string, unknown>;
  occurred_at: Date | string;
  prev_hash: string;
  key_id: string;
  hub_key_id?: string | null;
}

export function eventHash(e: HashedFields): string {
  const format = Number(e.format ?? 1);
  const body: Record<string, unknown> = {
    tenant_id: e.tenant_id,
    seq: Number(e.seq),
    type: e.type,
    actor: e.actor,
    subject: e.subject ?? null,
    data: e.data,
    occurred_at: new Date(e.occurred_at).toISOString(),
  };
  if (format >= 2) Object.assign(body, { format, key_id: e.key_id, hub_key_id: e.hub_key_id ?? null });
  return sha256Hex(`${e.prev_hash}\n${canonicalJson(body)}`);
}
