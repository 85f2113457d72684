import type { Queryable } from '../db/connection.js';
import type { KeyRing, TrustedKey } from '../crypto/keys.js';

/** A public key that signs a tenant's governance events, as published for offline verification. */
export interface PublishedKey {
  key_id: string;
  /** `audit`: the control plane's signature of every event and of the chain head; `hub`: the tenant's Hub co-signature. */
  use: 'audit' | 'hub';
  algorithm: 'Ed25519';
  public_key_pem: string;
  /** The same key as a JWK (RFC 8037), with `kid` the key id. */
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
  created_at: string;
  /** When it stopped signing new events; it still verifies the ones it signed. */
  retired_at: string | null;
}

/**
 * Every audit key of the control plane (retired ones included: they verify older events) and the
 * tenant's Hub keys, each derived from its private half: a row the master key does not vouch for
 * is left out, so a key planted in the database is never published.
 */
export async function publishedKeys(db: Queryable, keys: KeyRing, tenantId: string): Promise<PublishedKey[]> {
  const rows = await db('signing_keys')
    .where((q) => q.where({ purpose: 'audit' }).whereNull('tenant_id'))
    .orWhere({ purpose: 'hub', tenant_id: tenantId })
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('id', 'purpose', 'tenant_id', 'private_key_enc', 'created_at', 'retired_at');
  const out: PublishedKey[] = [];
  for (const r of rows) {
    const key = keys.trustRow(r);
    if (!key || !usable(key, tenantId)) continue;
    const jwk = key.publicKey.export({ format: 'jwk' });
    out.push({
      key_id: key.id,
      use: key.purpose as PublishedKey['use'],
      algorithm: 'Ed25519',
      public_key_pem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      jwk: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x), kid: key.id, alg: 'EdDSA', use: 'sig' },
      created_at: new Date(r.created_at).toISOString(),
      retired_at: r.retired_at ? new Date(r.retired_at).toISOString() : null,
    });
  }
  return out;
}

const usable = (k: TrustedKey, tenantId: string) => (k.purpose === 'audit' && k.tenantId === null) || (k.purpose === 'hub' && k.tenantId === tenantId);
