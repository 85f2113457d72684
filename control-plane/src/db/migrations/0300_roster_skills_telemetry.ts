import type { Knex } from 'knex';

/**
 * The roster (people mapped to archetypes), Cowork pack applications and the per-archetype
 * skill entitlements they produce, republish requests for the distribution worker, and
 * skill-invocation telemetry. Every table is tenant-owned and carries tenant_id.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roster_members', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    // Lowercased; one member per address and tenant.
    t.string('email', 254).notNullable();
    t.string('first_name', 200);
    t.string('last_name', 200);
    t.string('title', 300);
    t.string('department', 200);
    t.string('manager_email', 254);
    // csv or scim: where the member last came from.
    t.string('source', 10).notNullable();
    t.string('scim_user_id', 100);
    t.string('classified_archetype', 20);
    t.double('confidence').notNullable().defaultTo(0);
    // Set by an admin; survives every later import or sync.
    t.string('override_archetype', 20);
    // What entitlements use: the override, else the classifier's answer; null means unmatched.
    t.string('archetype', 20);
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['tenant_id', 'email']);
    t.index(['tenant_id', 'archetype']);
  });

  await knex.schema.createTable('roster_imports', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('source', 10).notNullable();
    t.string('actor', 200).notNullable();
    t.integer('rows').notNullable();
    t.integer('created').notNullable();
    t.integer('updated').notNullable();
    t.integer('unmatched').notNullable();
    t.timestamp('finished_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'finished_at']);
  });

  await knex.schema.createTable('cowork_applications', (t) => {
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('pack', 60).notNullable();
    t.jsonb('blocked_skills').notNullable();
    t.timestamp('applied_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'pack']);
  });

  await knex.schema.createTable('skill_entitlements', (t) => {
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('archetype', 20).notNullable();
    t.jsonb('skills').notNullable();
    // 'manual', or the pack whose application produced the set.
    t.string('source', 60).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'archetype']);
  });

  // Picked up by the distribution worker (issue 4), which publishes and completes them.
  await knex.schema.createTable('distribution_requests', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('requested_by', 200).notNullable();
    t.string('reason', 500);
    t.string('status', 20).notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true });
    t.index(['tenant_id', 'requested_at']);
    t.index(['status']);
  });

  await knex.schema.createTable('telemetry_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('connector_id', 40).notNullable();
    t.string('invocation_id', 100).notNullable();
    t.string('skill_id', 120).notNullable();
    t.string('user_email', 254);
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    // A platform retrying a delivery sends the same invocation again; it is recorded once.
    t.unique(['tenant_id', 'connector_id', 'invocation_id']);
    t.index(['tenant_id', 'received_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['telemetry_events', 'distribution_requests', 'skill_entitlements', 'cowork_applications', 'roster_imports', 'roster_members']) {
    await knex.schema.dropTableIfExists(t);
  }
}
