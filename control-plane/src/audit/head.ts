import type { KeyObject } from 'node:crypto';
import { signBytes, verifyBytes, type SigningKey } from '../crypto/keys.js';
import { canonicalJson } from './canonical.js';

/**
 * Names what a head signature is, so it can never be taken for another statement signed with
 * the audit key (event signatures are over a bare 32-byte hash).
 */
export const HEAD_CONTEXT = 'claresia.audit_head.v1';

/** At `signed_at`, the tenant's chain ended at event `seq`, whose hash is `hash`. */
export interface HeadStatement {
  tenant_id: string;
  seq: number;
  hash: string;
  signed_at: string;
}

export interface SignedHead extends HeadStatement {
  key_id: string;
  /** Ed25519 over the UTF-8 bytes of headMessage(), base64. */
  signature: string;
}

/** The bytes signed: canonical JSON (keys sorted, no spaces) of the statement and HEAD_CONTEXT. */
export function headMessage(h: HeadStatement): Buffer {
  return Buffer.from(
    canonicalJson({ context: HEAD_CONTEXT, tenant_id: h.tenant_id, seq: Number(h.seq), hash: h.hash, signed_at: new Date(h.signed_at).toISOString() }),
    'utf8',
  );
}

export function signHead(key: SigningKey, tenantId: string, seq: number, hash: string, at: Date = new Date()): SignedHead {
  const statement = { tenant_id: tenantId, seq, hash, signed_at: at.toISOString() };
  return { ...statement, key_id: key.id, signature: signBytes(key.privateKey, headMessage(statement)) };
}

export function headSignatureValid(publicKey: KeyObject, h: SignedHead): boolean {
  return verifyBytes(publicKey, headMessage(h), h.signature);
}
