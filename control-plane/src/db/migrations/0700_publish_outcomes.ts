import type { Knex } from 'knex';

/**
 * What a publish covered and why it failed, where operators and health can see it.
 *
 * distribution_requests.publish_id: the publish whose snapshot took the request. A change made
 * after that snapshot must not join the request (it would be reported done by a publish that did
 * not carry it), so only untaken pending requests are joined. changed_at: when the request was
 * made, on the database's clock (the one last_publish_at is read from). last_error/last_error_at:
 * the latest failed attempt's reason, shown while retrying.
 *
 * llm_connectors.last_publish_error(_at): the platform's answer to the last failed publish,
 * cleared by the next success.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('distribution_requests', (t) => {
    t.string('publish_id', 40);
    t.timestamp('changed_at', { useTz: true });
    t.string('last_error', 1000);
    t.timestamp('last_error_at', { useTz: true });
  });
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.string('last_publish_error', 500);
    t.timestamp('last_publish_error_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.dropColumn('last_publish_error');
    t.dropColumn('last_publish_error_at');
  });
  await knex.schema.alterTable('distribution_requests', (t) => {
    t.dropColumn('publish_id');
    t.dropColumn('changed_at');
    t.dropColumn('last_error');
    t.dropColumn('last_error_at');
  });
}
