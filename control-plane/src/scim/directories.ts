import type { TenantScope } from '../db/tenant-scope.js';
import { hashSecret, newSecret } from '../crypto/secrets.js';
import { badRequest, notFound } from '../http/errors.js';
import { json, type DirectoryRow } from './context.js';
import { parseCidr } from '@claresia/catalog';

export const TABLE = 'scim_directories';

export interface StoredDirectory extends DirectoryRow {
  token_hash: string;
  token_rotated_at: Date;
  created_at: Date;
  updated_at: Date;
}

export const endpointUrl = (publicUrl: string, id: string) => `${publicUrl}/scim/v2/${id}`;

/** A fresh directory token: shown once, stored as its SHA-256. */
export function newDirectoryToken(): { token: string; hash: string } {
  const token = newSecret('scim');
  return { token, hash: hashSecret(token) };
}

/** Validates and normalises (sorted, distinct) an allowlist; errors name the offending entry. */
export function normalizeAllowlist(list: string[] | null | undefined): string[] {
  const out = [...new Set(list ?? [])].sort();
  out.forEach((c) => {
    const p = parseCidr(c);
    if (typeof p === 'string') throw badRequest(`ip_allowlist entry "${c.slice(0, 100)}" ${p}`, 'ip_allowlist', 'invalid_value');
  });
  return out;
}

export async function loadDirectory(scope: TenantScope, id: string, lock = false): Promise<StoredDirectory> {
  if (!/^scim_[0-9a-f]{16}$/.test(id)) throw notFound(`SCIM directory ${id.slice(0, 100)}`, 'id');
  let q = scope.table<StoredDirectory>(TABLE).where({ id }).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as StoredDirectory | undefined;
  if (!row) throw notFound(`SCIM directory ${id}`, 'id');
  return row;
}

/** The API view; the token is only in the answers to create and rotate. */
export function presentDirectory(row: StoredDirectory, publicUrl: string, token: string | null = null) {
  return {
    id: row.id,
    idp: row.idp,
    ip_allowlist: json<string[]>(row.ip_allowlist),
    endpoint_url: endpointUrl(publicUrl, row.id),
    bearer_token: token,
    token_rotated_at: new Date(row.token_rotated_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
  };
}
