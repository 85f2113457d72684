import type { Tx } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvent } from '../audit/chain.js';
import { newId } from '../crypto/secrets.js';
import type { Role } from './roles.js';

export const TABLE = 'group_mappings';

export interface MappingRow {
  id: string;
  tenant_id: string;
  group_name: string;
  role: Role;
  archetype: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Present in every tenant without configuration (see the group_mapping catalog entry). */
export const DEFAULT_MAPPINGS: ReadonlyArray<{ group: string; role: Role; archetype: string | null }> = [
  { group: 'claresia-admins', role: 'tenant_admin', archetype: null },
  { group: 'claresia-auditors', role: 'auditor', archetype: null },
  { group: 'claresia-users', role: 'member', archetype: null },
  { group: 'claresia-eng-pilot', role: 'member', archetype: 'eng' },
];

export function presentMapping(r: MappingRow) {
  return {
    id: r.id,
    group: r.group_name,
    role: r.role,
    archetype: r.archetype ?? null,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

/**
 * Creates the default mappings the first time anything in a tenant needs mappings (a mapping
 * call, a SCIM group write, a sign-in), once: the marker row makes a default that an admin
 * deleted stay deleted. Concurrent first callers wait on the marker's unique key, so the
 * defaults are written exactly once. Each default is recorded like any mapping created.
 */
export async function ensureDefaultMappings(trx: Tx, keys: KeyRing, tenantId: string, actor: string): Promise<void> {
  const scope = new TenantScope(trx, tenantId);
  if (await scope.table('group_mapping_defaults').first('tenant_id')) return;
  const now = new Date();
  const marked = await trx('group_mapping_defaults').insert({ tenant_id: tenantId, created_at: now }).onConflict('tenant_id').ignore().returning('tenant_id');
  if (!marked.length) return;
  const taken = new Set(((await scope.table(TABLE).select('group_name')) as Array<{ group_name: string }>).map((r) => r.group_name));
  for (const d of DEFAULT_MAPPINGS) {
    if (taken.has(d.group)) continue;
    const row = { id: newId('gm'), group_name: d.group, role: d.role, archetype: d.archetype, created_at: now, updated_at: now };
    await scope.insert(TABLE, row);
    await appendEvent(trx, keys, tenantId, {
      type: 'rbac.group_mapping_created',
      actor,
      subject: row.id,
      data: { group: d.group, role: d.role, archetype: d.archetype, default: true },
    });
  }
}
