import type { Knex } from 'knex';

/**
 * SCIM directories and what IdPs provision into them. Users, groups and memberships are kept
 * in plain columns (not only a JSON blob) because other modules read them: de-provisioning and
 * group-to-role mapping read scim_users.active and scim_group_members, the roster reads title,
 * department, email and manager. `resource` keeps the whole validated SCIM document so that a
 * read returns exactly the attributes the IdP wrote.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scim_directories', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('idp', 20).notNullable();
    // SHA-256 of the bearer token; the token itself is shown once.
    t.string('token_hash', 64).notNullable().unique();
    t.jsonb('ip_allowlist').notNullable();
    t.timestamp('token_rotated_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['tenant_id']);
  });

  await knex.schema.createTable('scim_users', (t) => {
    t.string('id', 40).primary();
    // Insertion order: the stable order of list pages.
    t.bigIncrements('seq', { primaryKey: false });
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('directory_id', 40).notNullable().references('scim_directories.id').onDelete('CASCADE');
    t.text('user_name').notNullable();
    // userName is case-insensitive (RFC 7643 caseExact false) and unique per directory.
    t.text('user_name_lower').notNullable();
    t.text('external_id');
    t.boolean('active').notNullable();
    t.text('display_name');
    t.text('given_name');
    t.text('family_name');
    // The work email (or the primary one, or the first), as sent.
    t.text('email');
    t.text('title');
    t.text('department');
    t.text('phone');
    t.text('preferred_language');
    t.text('timezone');
    t.text('employee_number');
    // scim_users.id of the manager in the same directory (may arrive before the manager does).
    t.text('manager_id');
    t.text('cost_center');
    t.jsonb('emails').notNullable();
    t.jsonb('resource').notNullable();
    t.integer('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('deactivated_at', { useTz: true });
    t.unique(['directory_id', 'user_name_lower']);
    t.index(['tenant_id', 'directory_id', 'seq']);
    t.index(['directory_id', 'external_id']);
    t.index(['tenant_id', 'active']);
  });
  // Case-insensitive equality and prefix (sw) filters on the attributes IdPs and admins filter by.
  for (const col of ['title', 'department', 'email', 'given_name', 'family_name', 'display_name', 'employee_number']) {
    await knex.raw(`CREATE INDEX scim_users_${col}_ci ON scim_users (directory_id, lower(${col}) text_pattern_ops)`);
  }
  await knex.raw('CREATE INDEX scim_users_user_name_prefix ON scim_users (directory_id, user_name_lower text_pattern_ops)');

  await knex.schema.createTable('scim_groups', (t) => {
    t.string('id', 40).primary();
    t.bigIncrements('seq', { primaryKey: false });
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('directory_id', 40).notNullable().references('scim_directories.id').onDelete('CASCADE');
    t.text('display_name').notNullable();
    t.text('display_name_lower').notNullable();
    t.text('external_id');
    t.integer('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['directory_id', 'display_name_lower']);
    t.index(['tenant_id', 'directory_id', 'seq']);
  });

  await knex.schema.createTable('scim_group_members', (t) => {
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('directory_id', 40).notNullable();
    t.string('group_id', 40).notNullable().references('scim_groups.id').onDelete('CASCADE');
    t.string('user_id', 40).notNullable().references('scim_users.id').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id']);
  });

  // Failed writes of an IdP, reported by POST /api/v1/roster/scim:sync (successful ones are
  // read from their governance events since 0101).
  await knex.schema.createTable('scim_changes', (t) => {
    t.bigIncrements('id');
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('directory_id', 40).notNullable();
    t.string('kind', 10).notNullable();
    // created, updated, deprovisioned, reactivated, deleted, or error
    t.string('op', 20).notNullable();
    t.string('subject_id', 40);
    t.jsonb('detail').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    // The sync that reported it; claimed with UPDATE ... WHERE sync_id IS NULL, so a change that
    // commits while a sync runs is reported by the next one, never lost or reported twice.
    t.string('sync_id', 40);
    t.index(['tenant_id', 'sync_id']);
  });

  await knex.schema.createTable('scim_syncs', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.integer('changes').notNullable();
    t.jsonb('report').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'created_at']);
  });

  // Requests per tenant per second, shared by every replica.
  await knex.schema.createTable('scim_rate_counters', (t) => {
    t.string('tenant_id', 40).notNullable();
    t.bigInteger('second').notNullable();
    t.integer('n').notNullable();
    t.primary(['tenant_id', 'second']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['scim_rate_counters', 'scim_syncs', 'scim_changes', 'scim_group_members', 'scim_groups', 'scim_users', 'scim_directories']) {
    await knex.schema.dropTableIfExists(t);
  }
}
