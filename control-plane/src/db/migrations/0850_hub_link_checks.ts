import type { Knex } from 'knex';

/**
 * The periodic link check of ready Mode C Hubs: when the link was last checked, when a check last
 * passed, and why the latest one failed (null while it passes). A Hub's status stays ready
 * through a failed check (Terraform plans on it); these carry the outcome instead.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('hubs', (t) => {
    t.timestamp('link_checked_at', { useTz: true });
    t.timestamp('link_verified_at', { useTz: true });
    t.string('link_error', 500);
  });
  // A Hub made ready before this migration last proved its link when it became ready.
  await knex('hubs').where({ status: 'ready', mode: 'C' }).update({ link_checked_at: knex.ref('ready_at'), link_verified_at: knex.ref('ready_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('hubs', (t) => {
    t.dropColumn('link_checked_at');
    t.dropColumn('link_verified_at');
    t.dropColumn('link_error');
  });
}
