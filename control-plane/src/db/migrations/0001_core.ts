import type { Knex } from 'knex';

/**
 * The core: tenants, their service accounts and sessions, signing keys, the hash-chained
 * governance events and idempotency records. Every tenant-owned table carries tenant_id.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    t.string('id', 40).primary();
    t.string('slug', 63).notNullable();
    t.string('display_name', 200).notNullable();
    t.string('region', 40).notNullable();
    t.string('deployment_mode', 1).notNullable();
    t.string('billing_contact', 254).notNullable();
    t.string('support_tier', 20).notNullable();
    t.string('status', 20).notNullable();
    // The tenant's data key, wrapped by the master key; encrypts its credentials at rest.
    t.text('data_key_enc').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('offboarded_at', { useTz: true });
  });
  // An offboarded tenant's slug may be used again.
  await knex.raw("CREATE UNIQUE INDEX tenants_slug_active ON tenants (slug) WHERE status <> 'offboarded'");

  await knex.schema.createTable('service_accounts', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('name', 200).notNullable();
    t.string('client_id', 64).notNullable().unique();
    t.string('secret_hash', 128).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.index(['tenant_id']);
  });

  // One row per issued JWT, so a token can be revoked before it expires.
  await knex.schema.createTable('auth_sessions', (t) => {
    t.string('jti', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('subject_type', 20).notNullable();
    t.string('subject_id', 64).notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.index(['tenant_id', 'subject_type', 'subject_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('id', 40).primary();
    // null for the control plane's own keys; set for a tenant's Hub key.
    t.string('tenant_id', 40).references('tenants.id');
    t.string('purpose', 20).notNullable();
    t.text('public_key').notNullable();
    t.text('private_key_enc');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('retired_at', { useTz: true });
  });
  await knex.raw(
    'CREATE UNIQUE INDEX signing_keys_active ON signing_keys (purpose, (COALESCE(tenant_id, \'\'))) WHERE retired_at IS NULL',
  );

  // The head of each tenant's chain; locking it serialises appends per tenant.
  await knex.schema.createTable('audit_heads', (t) => {
    t.string('tenant_id', 40).primary().references('tenants.id');
    t.bigInteger('seq').notNullable();
    t.string('hash', 64).notNullable();
  });

  await knex.schema.createTable('governance_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.bigInteger('seq').notNullable();
    t.string('type', 80).notNullable();
    t.string('actor', 200).notNullable();
    t.string('subject', 200);
    t.jsonb('data').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.string('key_id', 40).notNullable();
    t.text('signature').notNullable();
    t.string('hub_key_id', 40);
    t.text('hub_signature');
    t.unique(['tenant_id', 'seq']);
    t.index(['tenant_id', 'type', 'occurred_at']);
    t.index(['tenant_id', 'occurred_at']);
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    // tenant id, or "operator" for operator calls
    t.string('scope', 40).notNullable();
    t.string('key', 255).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('status').notNullable();
    // The response may hold a secret shown once, so it is kept encrypted.
    t.text('response_enc').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['scope', 'key']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['idempotency_keys', 'governance_events', 'audit_heads', 'signing_keys', 'auth_sessions', 'service_accounts', 'tenants']) {
    await knex.schema.dropTableIfExists(t);
  }
}
