import type { Knex } from 'knex';

const COLUMNS = ['title', 'department', 'email', 'given_name', 'family_name', 'display_name', 'employee_number'];

/**
 * The case-insensitive filter indexes carry the column itself too. PostgreSQL plans an index-only
 * scan over an expression index only when every column the query names is in the index, and
 * `lower(title)` names `title`: without it, the totalResults count of a broad `title sw` visited
 * every matching row (15 ms for 16,000 matches of 50,000 users here, 5 ms index-only).
 */
export async function up(knex: Knex): Promise<void> {
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (tenant_id, directory_id, lower(${col}) text_pattern_ops) INCLUDE (${col})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (tenant_id, directory_id, lower(${col}) text_pattern_ops)`);
  }
}
