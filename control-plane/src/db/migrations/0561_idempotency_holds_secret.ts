import type { Knex } from 'knex';

/**
 * `secret_withheld` becomes `holds_secret`: a reply that held a secret is now kept whole (sealed,
 * as every reply is) so that its caller's retry gets the secret it lost in transit, and such a
 * record lives an hour instead of 24 h (http/idempotency.ts, jobs/retention.ts).
 *
 * The records written with the secret removed are deleted: replaying them would hand a client a
 * null in place of a returned-once value, which it would store without a word. They are a retry
 * cache. Rows of a replica of the release before 0560 carry the default (false) and an empty
 * principal, and are never replayed, so the rename does not disturb a rolling upgrade.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('idempotency_keys').where({ secret_withheld: true }).delete();
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.renameColumn('secret_withheld', 'holds_secret');
  });
}

export async function down(knex: Knex): Promise<void> {
  // The previous release would replay these without knowing they hold a secret.
  await knex('idempotency_keys').where({ holds_secret: true }).delete();
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.renameColumn('holds_secret', 'secret_withheld');
  });
}
