import type { Knex } from 'knex';

/**
 * Each LLM connector's ingest credential: the bearer secret its platform sends telemetry with,
 * stored as its SHA-256 like a SCIM directory's token. Connectors made before this release
 * have none (null hash and time) until one is issued with
 * POST /api/v1/llm/connectors/{id}/ingest-credential:rotate: a secret cannot be shown for them,
 * and one nobody has seen is of no use. The unique index is the lookup of every credentialed
 * telemetry request; PostgreSQL lets any number of rows hold null.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.string('ingest_credential_hash', 64).unique();
    t.timestamp('ingest_credential_rotated_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.dropColumn('ingest_credential_rotated_at');
    t.dropColumn('ingest_credential_hash');
  });
}
