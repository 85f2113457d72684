import type { Knex } from 'knex';

const COLUMNS = ['title', 'department', 'email', 'given_name', 'family_name', 'display_name', 'employee_number'];

/**
 * SCIM DELETE of a user (RFC 7644 §3.6: 404 for it from then on) keeps the row, de-provisioned
 * and marked `deleted_at`: roster, RBAC and grants go on reading it as an inactive user, so
 * nothing about the person comes back, and the audit trail keeps its subject. Its userName is
 * free again, so uniqueness holds among users not deleted only. The filter indexes a SCIM list
 * scans hold only those users too: a list asks `deleted_at IS NULL`, and an index without that
 * column could not answer it without reading every match from the table (see 0480).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_users', (t) => {
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.schema.alterTable('scim_users', (t) => t.dropUnique(['directory_id', 'user_name_lower']));
  await knex.raw('CREATE UNIQUE INDEX scim_users_user_name_live ON scim_users (directory_id, user_name_lower) WHERE deleted_at IS NULL');
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (tenant_id, directory_id, lower(${col}) text_pattern_ops) INCLUDE (${col}, seq) WHERE deleted_at IS NULL`);
  }
  await knex.raw('DROP INDEX IF EXISTS scim_users_user_name_prefix');
  await knex.raw('CREATE INDEX scim_users_user_name_prefix ON scim_users (tenant_id, directory_id, user_name_lower text_pattern_ops) INCLUDE (seq) WHERE deleted_at IS NULL');
  // An unfiltered list and its count; the (tenant_id, directory_id, seq) index stays for readers of every row (roster sync).
  await knex.raw('CREATE INDEX scim_users_live_seq ON scim_users (tenant_id, directory_id, seq) WHERE deleted_at IS NULL');
}

/** Deleted users go with the column; the old unique constraint could not hold a reused userName. */
export async function down(knex: Knex): Promise<void> {
  await knex('scim_users').whereNotNull('deleted_at').delete();
  await knex.raw('DROP INDEX IF EXISTS scim_users_live_seq');
  for (const col of COLUMNS) {
    await knex.raw(`DROP INDEX IF EXISTS scim_users_${col}_ci`);
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (tenant_id, directory_id, lower(${col}) text_pattern_ops) INCLUDE (${col}, seq)`);
  }
  await knex.raw('DROP INDEX IF EXISTS scim_users_user_name_prefix');
  await knex.raw('CREATE INDEX scim_users_user_name_prefix ON scim_users (tenant_id, directory_id, user_name_lower text_pattern_ops) INCLUDE (seq)');
  await knex.raw('DROP INDEX IF EXISTS scim_users_user_name_live');
  await knex.schema.alterTable('scim_users', (t) => t.unique(['directory_id', 'user_name_lower']));
  await knex.schema.alterTable('scim_users', (t) => t.dropColumn('deleted_at'));
}
