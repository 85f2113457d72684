import type { Knex } from 'knex';
import type { Queryable } from './connection.js';

/**
 * The only door to tenant-owned tables for request handlers: every query it builds is
 * filtered by the tenant id and every row it inserts carries it, so a handler cannot read
 * or change another tenant's rows by forgetting a where clause.
 */
export class TenantScope {
  constructor(
    readonly db: Queryable,
    readonly tenantId: string,
  ) {}

  /** A query on a tenant-owned table, already restricted to this tenant. */
  table<T extends {} = any>(name: string): Knex.QueryBuilder<T> {
    const alias = name.split(/\s+as\s+/i).pop()!;
    return this.db<T>(name).where(`${alias}.tenant_id`, this.tenantId) as unknown as Knex.QueryBuilder<T>;
  }

  insert(name: string, rows: Record<string, unknown> | Record<string, unknown>[]) {
    const list = (Array.isArray(rows) ? rows : [rows]).map((r) => ({ ...r, tenant_id: this.tenantId }));
    return this.db(name).insert(list);
  }
}
