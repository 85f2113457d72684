import type { Knex } from 'knex';

/**
 * Grants left behind by a deleted LLM connector (review r6 F6). Deleting a connector queues a
 * publish of the empty set to its platform; the connector row goes at once (its ingest
 * credential must stop working, and Terraform expects a 404), so what that publish needs
 * outlives it here: the platform, the base URL and the sealed credential, still bound to the
 * connector's id. The credential is cleared once the revocation succeeded or was given up; the
 * row stays as the record of what was revoked or left.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('llm_connector_revocations', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    // No foreign key: the connector is deleted in the transaction that creates this row.
    t.string('connector_id', 40).notNullable();
    t.string('platform', 20).notNullable();
    t.string('name', 200).notNullable();
    t.string('base_url', 2048).notNullable();
    t.text('credential_enc');
    t.string('credential_key_id', 40).references('cmek_keys.id');
    // pending, revoked, failed
    t.string('status', 20).notNullable();
    // What the connector's last publish sent (null: none was recorded).
    t.integer('grants_published');
    t.integer('users_published');
    t.string('last_error', 1000);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true });
    t.index(['tenant_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('llm_connector_revocations');
}
