import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * A customer's offline check of a tenant's governance chain, written from the README's
 * description alone (nothing imported from the control plane): the events from
 * GET /api/v1/hub/governance-events, the keys from GET /api/v1/hub/governance-keys, and the
 * checkpoints the customer kept from :verify. Tests use it to show the description is enough,
 * and to play the attacker, who knows the same algorithm.
 */

export interface Checkpoint {
  tenant_id: string;
  seq: number;
  hash: string;
  signed_at: string;
  key_id: string;
  signature: string;
}

/** JSON with object keys sorted at every level and no spaces. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** sha256(prev_hash + "\n" + canonical body), hex; the body by the event's format. */
export function hashOf(e: Record<string, any>): string {
  const format = Number(e.format ?? 1);
  const body: Record<string, unknown> = {
    tenant_id: e.tenant_id,
    seq: Number(e.seq),
    type: e.type,
    actor: e.actor,
    subject: e.subject ?? null,
    data: typeof e.data === 'string' ? JSON.parse(e.data) : e.data,
    occurred_at: new Date(e.occurred_at).toISOString(),
  };
  if (format >= 2) Object.assign(body, { format, key_id: e.key_id, hub_key_id: e.hub_key_id ?? null });
  return createHash('sha256').update(`${e.prev_hash}\n${canonical(body)}`).digest('hex');
}

export const headMessage = (c: Omit<Checkpoint, 'key_id' | 'signature'>) =>
  Buffer.from(canonical({ context: 'claresia.audit_head.v1', tenant_id: c.tenant_id, seq: c.seq, hash: c.hash, signed_at: c.signed_at }), 'utf8');

const verified = (key: KeyObject | undefined, data: Buffer, sig: string | null | undefined) => !!key && !!sig && verify(null, data, key, Buffer.from(sig, 'base64'));

export function verifyOffline(
  tenantId: string,
  events: Array<Record<string, any>>,
  keys: Array<{ key_id: string; use: string; public_key_pem: string }>,
  checkpoints: Checkpoint[] = [],
): { ok: true } | { ok: false; seq: number; reason: string } {
  const audit = new Map(keys.filter((k) => k.use === 'audit').map((k) => [k.key_id, createPublicKey(k.public_key_pem)]));
  const hub = new Map(keys.filter((k) => k.use === 'hub').map((k) => [k.key_id, createPublicKey(k.public_key_pem)]));
  const hashes = new Map<number, string>();
  let prev = '0'.repeat(64);
  let hubKey: string | null = null;
  for (const [i, e] of events.entries()) {
    const seq = Number(e.seq);
    const bad = (reason: string) => ({ ok: false as const, seq, reason });
    if (seq !== i + 1) return { ok: false, seq: i + 1, reason: 'missing' };
    if (e.prev_hash !== prev) return bad('link');
    const h = hashOf({ ...e, tenant_id: tenantId });
    if (h !== e.hash) return bad('hash');
    const digest = Buffer.from(h, 'hex');
    if (!verified(audit.get(e.key_id), digest, e.signature)) return bad('signature');
    if (e.type === 'hub.provisioned') hubKey = e.data.hub_key_id;
    if (e.hub_key_id) {
      if ((hubKey && e.hub_key_id !== hubKey) || !verified(hub.get(e.hub_key_id), digest, e.hub_signature)) return bad('co-signature');
      hubKey = e.hub_key_id;
      // A format-1 event may lack it (legacy_gaps in :verify): format 1 does not hash the key ids.
    } else if (hubKey && Number(e.format ?? 1) >= 2) return bad('co-signature missing');
    if (e.type === 'hub.deleted') hubKey = null;
    hashes.set(seq, e.hash);
    prev = e.hash;
  }
  for (const c of checkpoints) {
    if (!verified(audit.get(c.key_id), headMessage(c), c.signature)) return { ok: false, seq: c.seq, reason: 'checkpoint signature' };
    if (hashes.get(c.seq) !== c.hash) return { ok: false, seq: c.seq, reason: 'checkpoint not in the chain (truncated or rewritten)' };
  }
  return { ok: true };
}
