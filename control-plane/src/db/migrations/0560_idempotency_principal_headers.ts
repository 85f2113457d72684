import type { Knex } from 'knex';

/**
 * Idempotency records belong to the principal that made the request (a service account, a
 * user, the operator), not to its whole tenant, keep the reply's headers (a create's Location)
 * beside its body, and no longer keep a secret: a reply that carried one is stored with it
 * removed and `secret_withheld` set, and its replay is refused (http/idempotency.ts).
 *
 * The records written before this release are deleted, not converted: some hold a secret that
 * was shown once, sealed, with no way to tell which without the master key, and they are only
 * a retry cache (a request retried across the upgrade runs again, as it would 24 h later).
 */
export async function up(knex: Knex): Promise<void> {
  await knex('idempotency_keys').delete();
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropPrimary();
  });
  await knex.schema.alterTable('idempotency_keys', (t) => {
    // "operator", "service_account:<id>" or "user:<id>"; the default lets a replica of the
    // previous release, during a rolling upgrade, still write rows (which no one replays).
    t.string('principal', 80).notNullable().defaultTo('');
    // The reply's headers ({"Location": ...}) as JSON, sealed as response_enc is.
    t.text('headers');
    t.boolean('secret_withheld').notNullable().defaultTo(false);
    t.primary(['scope', 'principal', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('idempotency_keys').delete();
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropPrimary();
  });
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('principal');
    t.dropColumn('headers');
    t.dropColumn('secret_withheld');
    t.primary(['scope', 'key']);
  });
}
