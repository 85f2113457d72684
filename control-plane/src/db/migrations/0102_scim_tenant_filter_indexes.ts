import type { Knex } from 'knex';

const COLUMNS = ['title', 'department', 'email', 'given_name', 'family_name', 'display_name', 'employee_number'];

/**
 * Filter indexes led by (tenant_id, directory_id), the two conditions every SCIM query carries,
 * so that a filter's whole WHERE is in the index and totalResults counts can be index-only.
 */
export async function up(knex: Knex): Promise<void> {
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (tenant_id, directory_id, lower(${col}) text_pattern_ops)`);
  }
  await knex.raw('DROP INDEX IF EXISTS scim_users_user_name_prefix');
  await knex.raw('CREATE INDEX scim_users_user_name_prefix ON scim_users (tenant_id, directory_id, user_name_lower text_pattern_ops)');
  await knex.raw('CREATE INDEX scim_groups_display_name_prefix ON scim_groups (tenant_id, directory_id, display_name_lower text_pattern_ops)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS scim_groups_display_name_prefix');
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (directory_id, lower(${col}) text_pattern_ops)`);
  }
  await knex.raw('DROP INDEX IF EXISTS scim_users_user_name_prefix');
  await knex.raw('CREATE INDEX scim_users_user_name_prefix ON scim_users (directory_id, user_name_lower text_pattern_ops)');
}
