import type { Knex } from 'knex';

/**
 * LLM platform connectors, the tenant's Hub, and the customer-managed keys (CMEK) that Mode B
 * Hubs encrypt the tenant's credentials under.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cmek_keys', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('region', 40).notNullable();
    // 32 random bytes wrapped by the master key; AAD binds it to its id.
    t.text('key_enc').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('disabled_at', { useTz: true });
  });
  // At most one active CMEK key per tenant: it is the one new credentials are sealed under.
  await knex.raw('CREATE UNIQUE INDEX cmek_keys_active ON cmek_keys (tenant_id) WHERE disabled_at IS NULL');

  await knex.schema.createTable('llm_connectors', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('platform', 20).notNullable();
    t.string('name', 200).notNullable();
    t.string('base_url', 2048).notNullable();
    t.text('credential_enc').notNullable();
    // null: sealed under the tenant data key; otherwise the CMEK key it is sealed under.
    t.string('credential_key_id', 40).references('cmek_keys.id');
    t.string('status', 20).notNullable();
    t.string('status_reason', 500);
    t.timestamp('last_tested_at', { useTz: true });
    t.timestamp('last_publish_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'id']);
  });

  await knex.schema.createTable('hubs', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('mode', 1).notNullable();
    t.string('region', 40).notNullable();
    t.string('cmek_key_id', 40).references('cmek_keys.id');
    t.string('mtls_endpoint_url', 2048);
    t.text('customer_ca_certificate');
    t.text('client_certificate');
    t.text('client_key_enc');
    t.string('status', 20).notNullable();
    t.string('status_reason', 500);
    t.string('hub_key_id', 40).references('signing_keys.id');
    // The background provisioner's bookkeeping: when to try next, and a lease so two replicas never work one Hub at once.
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('lease_until', { useTz: true });
    t.timestamp('give_up_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('ready_at', { useTz: true });
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw('CREATE UNIQUE INDEX hubs_one_per_tenant ON hubs (tenant_id) WHERE deleted_at IS NULL');
  await knex.raw("CREATE INDEX hubs_due ON hubs (next_attempt_at) WHERE status = 'provisioning' AND deleted_at IS NULL");
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['hubs', 'llm_connectors', 'cmek_keys']) await knex.schema.dropTableIfExists(t);
}
