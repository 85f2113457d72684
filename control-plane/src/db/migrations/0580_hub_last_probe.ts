import type { Knex } from 'knex';

/**
 * hubs.last_probe_at: when the provisioner last started a Mode C link check. A client polling a
 * provisioning Hub asks for the next check to come sooner than the backoff would; this bounds
 * how often that can make the control plane knock on the customer's endpoint.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('hubs', (t) => {
    t.timestamp('last_probe_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('hubs', (t) => {
    t.dropColumn('last_probe_at');
  });
}
