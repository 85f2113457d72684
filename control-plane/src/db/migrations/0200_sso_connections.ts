import type { Knex } from 'knex';

/**
 * SSO connections and the state of test logins in flight. Login state lives here, not in
 * process memory, because the IdP's answer may reach any replica.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sso_connections', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('name', 200).notNullable();
    t.string('protocol', 10).notNullable();
    t.text('metadata_url');
    t.text('metadata_xml');
    t.text('idp_sso_url');
    t.text('idp_certificate');
    t.text('idp_entity_id');
    t.text('discovery_url');
    t.text('client_id');
    // Encrypted under the tenant's data key; never returned.
    t.text('client_secret_enc');
    t.string('status', 20).notNullable();
    t.timestamp('last_tested_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['tenant_id']);
  });

  // One row per test login started: the SAML request id or the OIDC state, with the PKCE
  // verifier and nonce sealed. A row is consumed by the answer it belongs to.
  await knex.schema.createTable('sso_login_states', (t) => {
    t.string('id', 100).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('connection_id', 40).notNullable().references('sso_connections.id').onDelete('CASCADE');
    t.string('protocol', 10).notNullable();
    t.text('secrets_enc');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'connection_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sso_login_states');
  await knex.schema.dropTableIfExists('sso_connections');
}
