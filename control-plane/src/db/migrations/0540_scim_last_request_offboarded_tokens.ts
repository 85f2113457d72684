import type { Knex } from 'knex';

/**
 * `scim_directories.last_request_at`: when the directory's IdP last made an authenticated SCIM
 * request, of any method. An IdP that polls (Entra's cycle is GETs when nothing changed) writes
 * nothing, so the last write says nothing about whether provisioning still runs; the SCIM token
 * check stamps this at most once a minute per directory.
 *
 * Directories of tenants offboarded before this release still open with their old tokens (the
 * token check did not look at the tenant); their hashes are replaced with random values, as
 * offboarding now does, so those tokens open nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_directories', (t) => {
    t.timestamp('last_request_at', { useTz: true });
  });
  await knex.raw(`UPDATE scim_directories SET token_hash = md5(random()::text || id) || md5(random()::text || tenant_id)
    WHERE tenant_id IN (SELECT id FROM tenants WHERE status = 'offboarded')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_directories', (t) => {
    t.dropColumn('last_request_at');
  });
}
