import type { Knex } from 'knex';

/**
 * Offboarding erases the tenant's LLM connector credentials (review v4 F5): the platforms' admin
 * keys of a former customer are not kept once the revocation of its grants (which keeps its own
 * copy) is queued. The connector row stays, for the audit trail, without one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.text('credential_enc').nullable().alter();
  });
}

export async function down(): Promise<void> {
  // Left nullable: offboarded tenants' rows have no credential to put back, and the code before
  // this migration only writes non-null values, so it runs on this schema unchanged.
}
