import type { Knex } from 'knex';

/**
 * scim:sync reads what IdPs wrote from the governance events themselves (one record of each
 * change, not two), so a sync remembers the last event sequence number it covered.
 * scim_changes keeps only the failed writes, which have no event.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_syncs', (t) => {
    t.bigInteger('last_event_seq').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_syncs', (t) => {
    t.dropColumn('last_event_seq');
  });
}
