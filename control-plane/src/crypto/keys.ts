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

/** Control-plane key purposes; a Hub's key has purpose `hub` and a tenant id. */
export type KeyPurpose = 'audit' | 'jwt' | 'hub';

/**
 * Holds the master key and the control plane's Ed25519 keys. The keys live in the database
 * (wrapped by the master key) so that every replica signs with the same key.
 */
export class KeyRing {
  private readonly cache = new Map<string, SigningKey>();
  private readonly publicCache = new Map<string, KeyObject>();
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
  fromRow(row: { id: string; public_key: string; private_key_enc: string }): SigningKey {
    const cached = this.opened.get(row.id);
    if (cached) return cached;
    const key = this.toSigningKey(row);
    this.opened.set(row.id, key);
    return key;
  }

  async publicKey(db: Queryable, keyId: string): Promise<KeyObject | undefined> {
    const cached = this.publicCache.get(keyId);
    if (cached) return cached;
    const row = await db('signing_keys').where({ id: keyId }).first();
    if (!row) return undefined;
    const k = createPublicKey(row.public_key);
    this.publicCache.set(keyId, k);
    return k;
  }

  private async insertKey(db: Queryable, purpose: KeyPurpose, tenantId: string | null) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const id = newId('key');
    const row = {
      id,
      tenant_id: tenantId,
      purpose,
      public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      private_key_enc: this.seal(privateKey.export({ type: 'pkcs8', format: 'der' }), `signing_key:${id}`),
      created_at: new Date(),
    };
    await db('signing_keys').insert(row);
    return row;
  }

  private toSigningKey(row: { id: string; public_key: string; private_key_enc: string }): SigningKey {
    const der = this.open(row.private_key_enc, `signing_key:${row.id}`);
    return {
      id: row.id,
      privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey(row.public_key),
    };
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
