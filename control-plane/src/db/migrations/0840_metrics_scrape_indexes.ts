import type { Knex } from 'knex';

/**
 * What /metrics reads at every scrape of every replica (http/metrics-figures.ts): the webhook
 * deliveries and publish requests not finished well. Deliveries are kept for the retention
 * period, publish requests for good, so without these a scrape read the whole table (100k
 * deliveries: a 12 ms sequential scan of 1,200 pages, growing with traffic). Partial, so they
 * hold only the few rows an alert is about, and covering, so the scrape reads the index alone.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE INDEX webhook_deliveries_unfinished ON webhook_deliveries (status) INCLUDE (tenant_id, attempts, created_at, redelivered_at) WHERE status IN ('pending', 'failed')`,
  );
  await knex.raw(`CREATE INDEX distribution_requests_unfinished ON distribution_requests (status) INCLUDE (tenant_id, requested_at, changed_at) WHERE status IN ('pending', 'failed')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS distribution_requests_unfinished');
  await knex.raw('DROP INDEX IF EXISTS webhook_deliveries_unfinished');
}
