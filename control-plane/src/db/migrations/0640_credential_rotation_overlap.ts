import type { Knex } from 'knex';

/**
 * Credential rotation without downtime (review r3 L1, v1 #3).
 *
 * service_accounts.previous_secret_*: the hash of the client secret a rotation replaced, and until
 * when it is still accepted at POST /api/v1/auth/token, so the pipelines holding it can switch at
 * any moment of the overlap instead of at the instant of the rotation.
 *
 * scim_directories.previous_token_*: the same for a SCIM bearer token, so an IdP keeps
 * provisioning while an admin pastes the new token there. Only hashes, as for the current ones;
 * no index: the SCIM check finds the directory by its id and compares the hashes of that row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_accounts', (t) => {
    t.string('previous_secret_hash', 64);
    t.timestamp('previous_secret_expires_at', { useTz: true });
  });
  await knex.schema.alterTable('scim_directories', (t) => {
    t.string('previous_token_hash', 64);
    t.timestamp('previous_token_expires_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_directories', (t) => {
    t.dropColumn('previous_token_expires_at');
    t.dropColumn('previous_token_hash');
  });
  await knex.schema.alterTable('service_accounts', (t) => {
    t.dropColumn('previous_secret_expires_at');
    t.dropColumn('previous_secret_hash');
  });
}
