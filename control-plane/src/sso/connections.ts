import type { Queryable } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { notFound } from '../http/errors.js';
import { spEndpoints } from './urls.js';

export const TABLE = 'sso_connections';

export interface ConnectionRow {
  id: string;
  tenant_id: string;
  name: string;
  protocol: 'saml' | 'oidc';
  metadata_url: string | null;
  metadata_xml: string | null;
  idp_sso_url: string | null;
  idp_certificate: string | null;
  idp_entity_id: string | null;
  discovery_url: string | null;
  client_id: string | null;
  client_secret_enc: string | null;
  status: string;
  last_tested_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The AAD that binds a sealed client secret to its connection. */
export const secretPurpose = (id: string) => `sso_connection:${id}:client_secret`;

/** The API's view of a connection: every attribute but the write-only secret. */
export function present(row: ConnectionRow, publicUrl: string) {
  return {
    id: row.id,
    name: row.name,
    protocol: row.protocol,
    metadata_url: row.metadata_url,
    metadata_xml: row.metadata_xml,
    idp_sso_url: row.idp_sso_url,
    idp_certificate: row.idp_certificate,
    idp_entity_id: row.idp_entity_id,
    discovery_url: row.discovery_url,
    client_id: row.client_id,
    ...spEndpoints(publicUrl, row.id, row.protocol),
    status: row.status,
    last_tested_at: row.last_tested_at ? new Date(row.last_tested_at).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

export async function loadConnection(scope: TenantScope, id: string, lock = false): Promise<ConnectionRow> {
  let q = scope.table<ConnectionRow>(TABLE).where({ id }).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as ConnectionRow | undefined;
  if (!row) throw notFound(`sso connection ${id}`, 'id');
  return row;
}

/**
 * The IdP's answer arrives without a tenant credential, so the connection is found by its
 * id alone; the tenant it belongs to then scopes every further query.
 */
export async function connectionForIdp(db: Queryable, id: string, protocol: 'saml' | 'oidc', lock = false): Promise<ConnectionRow> {
  let q = db<ConnectionRow>(TABLE).where({ id, protocol }).first();
  // A change of IdP settings or a delete (FOR UPDATE) waits until this sign-in is written, so the
  // sessions it revokes include the one this sign-in issues. Not FOR SHARE: a test login then
  // updates the row, and two holders of a shared lock both upgrading would deadlock.
  if (lock) q = q.forNoKeyUpdate();
  const row = (await q) as ConnectionRow | undefined;
  if (!row) throw notFound(`${protocol} sso connection ${id}`, 'id');
  return row;
}
