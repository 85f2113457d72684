import type { Knex } from 'knex';

/**
 * Beside an answer that handed out a credential (a rotation's new secret), which credential it
 * was: `{"kind","tenantId","id","hash"}` as JSON, the hash being the one the credential's own
 * table keeps. A replay hands the secret out again only while it is still the object's current
 * one (http/issued-credential.ts).
 *
 * Rows written before, and by a replica of the previous release during a rolling upgrade, have
 * none and replay as they did; they are not deleted as 0561's were, because most are creates
 * (a tenant, a service account) whose retry would then make a second object or fail on the slug,
 * and the rest are gone within the hour a secret is kept.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.text('issued_credential');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('issued_credential');
  });
}
