import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { notFound } from '../http/errors.js';
import { openTenantSecret, sealTenantSecret } from '../hub/cmek.js';

export interface ConnectorRow {
  id: string;
  tenant_id: string;
  platform: string;
  name: string;
  base_url: string;
  /** Null once the tenant was offboarded: the credential is erased (a revocation keeps its own copy). */
  credential_enc: string | null;
  credential_key_id: string | null;
  status: string;
  status_reason: string | null;
  last_tested_at: Date | null;
  last_publish_at: Date | null;
  last_publish_error?: string | null;
  last_publish_error_at?: Date | null;
  created_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Why a connector failed, and how to test it again: Terraform and Pulumi cannot call :test, and a
 * failure fixed on the platform's side (a scope granted, a key re-enabled) leaves the credential as
 * it was, so sending it again is their way. A connector without a credential (its tenant was
 * offboarded) has none to send. This is the one place that gives the test path: the stored reasons
 * say what went wrong and what to fix. Reasons stored before that (a refused or given-up publish
 * named its own :test) already give it, and get no second copy.
 */
function failedReason(row: ConnectorRow): string | null {
  if (row.status !== 'failed' || row.credential_enc === null) return row.status_reason;
  const path = `/api/v1/llm/connectors/${row.id}:test`;
  if (row.status_reason?.includes(path)) return row.status_reason;
  const hint = `to test it again (a pass publishes the current grants to it), send its credential again, changed or not (Terraform: a new credential_wo_version), or POST ${path}`;
  return row.status_reason ? `${row.status_reason}; ${hint}` : hint;
}

/** The API shape: every attribute of the catalog entry except the write-only credential. */
export function presentConnector(row: ConnectorRow) {
  return {
    id: row.id,
    platform: row.platform,
    name: row.name,
    base_url: row.base_url,
    status: row.status,
    status_reason: failedReason(row),
    last_tested_at: iso(row.last_tested_at),
    last_publish_at: iso(row.last_publish_at),
    last_publish_error: row.last_publish_error ?? null,
    last_publish_error_at: iso(row.last_publish_error_at ?? null),
    created_at: iso(row.created_at),
  };
}

/** AAD for the sealed credential: a ciphertext copied onto another connector will not open. */
export const credentialPurpose = (id: string) => `llm_connector:${id}:credential`;

export async function loadConnector(scope: TenantScope, id: string, lock = false): Promise<ConnectorRow> {
  let q = scope.table<ConnectorRow>('llm_connectors').where('id', id).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as ConnectorRow | undefined;
  if (!row) throw notFound(`llm connector ${id}`, 'id');
  return row;
}

export async function sealCredential(scope: TenantScope, keys: KeyRing, id: string, credential: string) {
  const s = await sealTenantSecret(scope, keys, credential, credentialPurpose(id));
  return { credential_enc: s.sealed, credential_key_id: s.keyId };
}

export async function openCredential(scope: TenantScope, keys: KeyRing, row: ConnectorRow): Promise<string> {
  if (row.credential_enc === null) throw new Error(`llm connector ${row.id} has no credential: its tenant was offboarded`);
  return openTenantSecret(scope, keys, { sealed: row.credential_enc, keyId: row.credential_key_id }, credentialPurpose(row.id));
}

/**
 * Re-seals every connector credential of the tenant under `toKeyId` (null = the tenant data
 * key). Used when a Mode B Hub brings its CMEK key, and before that key is disabled. The
 * credentials that deleted connectors keep until their grants are revoked (llm/revoke.ts) move
 * too: under a disabled key they could not be opened, and the grants would stay.
 */
export async function rewrapConnectorCredentials(scope: TenantScope, keys: KeyRing, toKeyId: string | null): Promise<number> {
  let n = 0;
  for (const { table, columns, idOf } of [
    { table: 'llm_connectors', columns: ['id'], idOf: (r: Sealed) => r.id },
    { table: 'llm_connector_revocations', columns: ['id', 'connector_id'], idOf: (r: Sealed) => r.connector_id! },
  ]) {
    const rows = (await scope.table(table).whereNotNull('credential_enc').forUpdate().select([...columns, 'credential_enc', 'credential_key_id'])) as Sealed[];
    for (const row of rows) {
      if (row.credential_key_id === toKeyId) continue;
      const purpose = credentialPurpose(idOf(row));
      const plain = await openTenantSecret(scope, keys, { sealed: row.credential_enc, keyId: row.credential_key_id }, purpose);
      const s = await sealTenantSecret(scope, keys, plain, purpose, toKeyId);
      await scope.table(table).where({ id: row.id }).update({ credential_enc: s.sealed, credential_key_id: s.keyId });
      n++;
    }
  }
  return n;
}

/** A sealed connector credential, on a connector (its id) or kept for a revocation (connector_id). */
interface Sealed {
  id: string;
  connector_id?: string;
  credential_enc: string;
  credential_key_id: string | null;
}
