import type { Knex } from 'knex';

/**
 * Syncs become a managed resource (claresia_roster_sync): the triggers a sync was asked with,
 * and when its record was forgotten. A forgotten sync stays in the table because the next sync
 * reports "since the previous one" from it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_syncs', (t) => {
    t.jsonb('triggers');
    t.timestamp('forgotten_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_syncs', (t) => {
    t.dropColumn('forgotten_at');
    t.dropColumn('triggers');
  });
}
