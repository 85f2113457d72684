import { randomBytes } from 'node:crypto';
import type { KeyRing } from '../crypto/keys.js';
import { newId, open, seal } from '../crypto/secrets.js';
import type { TenantScope } from '../db/tenant-scope.js';

/**
 * Customer-managed keys (Mode B). A tenant with an active CMEK key has its credentials sealed
 * under that key instead of its data key; disabling the key (when the Hub goes) makes every
 * credential sealed under it unreadable, which is the point of a customer-managed key, so
 * callers rewrap before they disable.
 */

export interface SealedSecret {
  sealed: string;
  /** null: the tenant data key; otherwise the CMEK key id. */
  keyId: string | null;
}

interface CmekRow {
  id: string;
  key_enc: string;
}

const wrapAad = (id: string) => `cmek:${id}`;

export async function createCmekKey(scope: TenantScope, keys: KeyRing, region: string): Promise<string> {
  const id = newId('cmek');
  await scope.insert('cmek_keys', { id, region, key_enc: keys.seal(randomBytes(32), wrapAad(id)), created_at: new Date() });
  return id;
}

export async function activeCmekKeyId(scope: TenantScope): Promise<string | null> {
  const row = await scope.table('cmek_keys').whereNull('disabled_at').first('id');
  return row?.id ?? null;
}

async function cmekKey(scope: TenantScope, keys: KeyRing, id: string): Promise<Buffer> {
  const row = (await scope.table('cmek_keys').where({ id }).first('id', 'key_enc')) as CmekRow | undefined;
  if (!row) throw new Error(`CMEK key ${id} does not belong to tenant ${scope.tenantId}`);
  return keys.open(row.key_enc, wrapAad(row.id));
}

/** Seals under `keyId` when given (null = data key), else under whatever key the tenant currently uses. */
export async function sealTenantSecret(scope: TenantScope, keys: KeyRing, plaintext: string, purpose: string, keyId?: string | null): Promise<SealedSecret> {
  const target = keyId === undefined ? await activeCmekKeyId(scope) : keyId;
  if (target === null) return { sealed: await keys.encryptForTenant(scope.db, scope.tenantId, plaintext, purpose), keyId: null };
  return { sealed: seal(await cmekKey(scope, keys, target), plaintext, `${scope.tenantId}:${purpose}`), keyId: target };
}

export async function openTenantSecret(scope: TenantScope, keys: KeyRing, secret: SealedSecret, purpose: string): Promise<string> {
  if (secret.keyId === null) return keys.decryptForTenant(scope.db, scope.tenantId, secret.sealed, purpose);
  return open(await cmekKey(scope, keys, secret.keyId), secret.sealed, `${scope.tenantId}:${purpose}`).toString('utf8');
}

export async function disableCmekKey(scope: TenantScope, id: string, at: Date): Promise<void> {
  await scope.table('cmek_keys').where({ id }).whereNull('disabled_at').update({ disabled_at: at });
}
