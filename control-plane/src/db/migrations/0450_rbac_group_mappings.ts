import type { Knex } from 'knex';

/**
 * RBAC: IdP groups (`claresia-*`) mapped to a role and an optional archetype grant, the marker
 * that a tenant's default mappings were created (so a default the admin deleted stays deleted),
 * and the purpose of an SSO login in flight (an admin's test, or a user signing in).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('group_mappings', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    // Lowercased, as SCIM group names are compared (scim_groups.display_name_lower).
    t.string('group_name', 256).notNullable();
    t.string('role', 20).notNullable();
    t.string('archetype', 20);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['tenant_id', 'group_name']);
  });

  await knex.schema.createTable('group_mapping_defaults', (t) => {
    t.string('tenant_id', 40).primary().references('tenants.id');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  // Whether a tenant uses RBAC groups at all is asked on every user request.
  await knex.raw('CREATE INDEX scim_groups_tenant_name ON scim_groups (tenant_id, display_name_lower text_pattern_ops)');

  await knex.schema.alterTable('sso_login_states', (t) => {
    t.string('purpose', 10).notNullable().defaultTo('test');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sso_login_states', (t) => {
    t.dropColumn('purpose');
  });
  await knex.raw('DROP INDEX IF EXISTS scim_groups_tenant_name');
  await knex.schema.dropTableIfExists('group_mapping_defaults');
  await knex.schema.dropTableIfExists('group_mappings');
}
