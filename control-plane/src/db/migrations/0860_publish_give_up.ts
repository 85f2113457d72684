import type { Knex } from 'knex';

/**
 * llm_connectors.publish_failing_since: when the connector's current run of failed publishes
 * began (null while its publishes succeed). The slow retry stops trying a connector once this is
 * older than CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS; a success, a passing test or a new
 * credential or base_url clear it. A connector failing at upgrade starts from its latest failure:
 * the run's true start was never recorded, and an earlier guess could end a retry too soon.
 *
 * distribution_requests.detail: what a status alone would misstate, such as a request completed
 * with nothing delivered because the tenant has no LLM connector.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.timestamp('publish_failing_since', { useTz: true });
  });
  await knex('llm_connectors').whereNotNull('last_publish_error').update({ publish_failing_since: knex.ref('last_publish_error_at') });
  await knex.schema.alterTable('distribution_requests', (t) => {
    t.string('detail', 500);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('distribution_requests', (t) => {
    t.dropColumn('detail');
  });
  await knex.schema.alterTable('llm_connectors', (t) => {
    t.dropColumn('publish_failing_since');
  });
}
