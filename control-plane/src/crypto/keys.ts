import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/connection.js';
import { isUniqueViolation } from '../db/connection.js';
import { newId, open, seal } from './secrets.js';

export interface SigningKey {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A key the master key vouches for: its public half is derived from the private half it
 * decrypted, never read from the row, and its purpose and tenant are the ones its sealing is
 * bound to (see keyAad).
 */
export interface TrustedKey {
  id: string;
  purpose: string;
  tenantId: string | null;
  publicKey: KeyObject;
}

export interface KeyRow {
  id: string;
  purpose: string;
  tenant_id: string | null;
  private_key_enc: string | null;
}

/**
 * What a key's sealed private half is bound to. Keys sealed since migration 0520 bind their id,
 * purpose and tenant, so a row relabelled in the database (a Hub key passed off as the audit key,
 * one tenant's Hub key as another's) no longer opens. A row with a private_key_enc of someone
 * else's making does not open at all (only the master key makes a sealed value), and its
 * public_key column is never trusted.
 */
const keyAad = (row: Pick<KeyRow, 'id' | 'purpose' | 'tenant_id'>) => `signing_key/2:${JSON.stringify([row.id, row.purpose, row.tenant_id ?? null])}`;
/**
 * Keys sealed before 0520 bound only their id. They still open, and the purpose and tenant of
 * their row are taken as written: relabelling one gains nothing, since every key signs only its
 * own tenant's event hashes (or JWTs, which are never 32-byte digests), so no signature can be
 * carried to other content.
 */
const legacyKeyAad = (id: string) => `signing_key:${id}`;

/** Control-plane key purposes; a Hub's key has purpose `hub` and a tenant id. */
export type KeyPurpose = 'audit' | 'jwt' | 'hub';

/**
 * Holds the master key and the control plane's Ed25519 keys. The keys live in the database
 * (wrapped by the master key) so that every replica signs with the same key.
 */
export class KeyRing {
  private readonly cache = new Map<string, SigningKey>();
  private readonly trusted = new Map<string, TrustedKey>();
  private readonly opened = new Map<string, SigningKey>();

  constructor(private readonly masterKey: Buffer) {}

  seal(plaintext: Buffer | string, aad: string): string {
    return seal(this.masterKey, plaintext, aad);
  }

  open(sealed: string, aad: string): Buffer {
    return open(this.masterKey, sealed, aad);
  }

  /** The active key for a purpose, created on first use (first replica wins a race). */
  async activeKey(db: Queryable, purpose: Exclude<KeyPurpose, 'hub'>): Promise<SigningKey> {
    const cached = this.cache.get(purpose);
    if (cached) return cached;
    let row = await db('signing_keys').where({ purpose }).whereNull('tenant_id').whereNull('retired_at').first();
    if (!row) {
      try {
        row = await this.insertKey(db, purpose, null);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        row = await db('signing_keys').where({ purpose }).whereNull('tenant_id').whereNull('retired_at').first();
      }
    }
    const key = this.toSigningKey(row);
    this.cache.set(purpose, key);
    return key;
  }

  /** Creates a key for a tenant's Hub (used by the hub module). */
  async createHubKey(db: Queryable, tenantId: string): Promise<SigningKey> {
    return this.toSigningKey(await this.insertKey(db, 'hub', tenantId));
  }

  /** The tenant's Hub key, if it has a Hub: events are co-signed with it. */
  async hubKey(db: Queryable, tenantId: string): Promise<SigningKey | undefined> {
    const row = await db('signing_keys').where({ purpose: 'hub', tenant_id: tenantId }).whereNull('retired_at').first();
    return row ? this.fromRow(row) : undefined;
  }

  /**
   * A key from a signing_keys row the caller already read (e.g. joined to the audit head), kept
   * opened by id: a key's material never changes, only whether it is retired.
   */
  fromRow(row: { id: string; purpose: string; tenant_id: string | null; private_key_enc: string }): SigningKey {
    const cached = this.opened.get(row.id);
    if (cached) return cached;
    const key = this.toSigningKey(row);
    this.opened.set(row.id, key);
    return key;
  }

  /**
   * The key with this id if the master key vouches for it, else undefined (no such row, or a row
   * whose private half does not open: forged, relabelled, or sealed under another master key).
   * Failures are not remembered: another replica may create the key a moment later.
   */
  async trustedKey(db: Queryable, keyId: string): Promise<TrustedKey | undefined> {
    const cached = this.trusted.get(keyId);
    if (cached) return cached;
    const row = (await db('signing_keys').where({ id: keyId }).first('id', 'purpose', 'tenant_id', 'private_key_enc')) as KeyRow | undefined;
    return row ? this.trustRow(row) : undefined;
  }

  /** Like trustedKey, for rows the caller already read (e.g. every audit key, to publish them). */
  trustRow(row: KeyRow): TrustedKey | undefined {
    const cached = this.trusted.get(row.id);
    if (cached) return cached;
    let privateKey: KeyObject;
    try {
      privateKey = this.openPrivateKey(row);
    } catch {
      return undefined;
    }
    const key = { id: row.id, purpose: row.purpose, tenantId: row.tenant_id ?? null, publicKey: createPublicKey(privateKey) };
    this.trusted.set(row.id, key);
    return key;
  }

  private async insertKey(db: Queryable, purpose: KeyPurpose, tenantId: string | null) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const id = newId('key');
    const row = {
      id,
      tenant_id: tenantId,
      purpose,
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      private_key_enc: this.seal(privateKey.export({ type: 'pkcs8', format: 'der' }), keyAad({ id, purpose, tenant_id: tenantId })),
      created_at: new Date(),
    };
    await db('signing_keys').insert(row);
    return row;
  }

  /**
   * The public half comes from the private one, not from the row's public_key: a replaced
   * public_key would otherwise make every replica started afterwards accept JWTs signed by
   * whoever replaced it.
   */
  private toSigningKey(row: KeyRow): SigningKey {
    const privateKey = this.openPrivateKey(row);
    return { id: row.id, privateKey, publicKey: createPublicKey(privateKey) };
  }

  private openPrivateKey(row: KeyRow): KeyObject {
    if (!row.private_key_enc) throw new Error(`signing key ${row.id} has no private key`);
    let der: Buffer;
    try {
      der = this.open(row.private_key_enc, keyAad(row));
    } catch {
      der = this.open(row.private_key_enc, legacyKeyAad(row.id));
    }
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }

  /** A fresh data key for a new tenant, returned wrapped. */
  newTenantDataKey(tenantId: string): string {
    return this.seal(randomBytes(32), `tenant_data_key:${tenantId}`);
  }

  async tenantDataKey(db: Queryable, tenantId: string): Promise<Buffer> {
    const row = await db('tenants').where({ id: tenantId }).first('data_key_enc');
    if (!row) throw new Error('tenant not found');
    return this.open(row.data_key_enc, `tenant_data_key:${tenantId}`);
  }

  /** Encrypts a credential under the tenant's data key; `purpose` binds it to its record. */
  async encryptForTenant(db: Queryable, tenantId: string, plaintext: string, purpose: string): Promise<string> {
    return seal(await this.tenantDataKey(db, tenantId), plaintext, `${tenantId}:${purpose}`);
  }

  async decryptForTenant(db: Queryable, tenantId: string, sealed: string, purpose: string): Promise<string> {
    return open(await this.tenantDataKey(db, tenantId), sealed, `${tenantId}:${purpose}`).toString('utf8');
  }
}

export function signBytes(key: KeyObject, data: Buffer): string {
  return sign(null, data, key).toString('base64');
}

export function verifyBytes(key: KeyObject, data: Buffer, signature: string): boolean {
  try {
    return verify(null, data, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** verifyBytes on libuv's thread pool, so that checking a long chain leaves the event loop free. */
export function verifyBytesAsync(key: KeyObject, data: Buffer, signature: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(null, data, key, Buffer.from(signature, 'base64'), (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}
