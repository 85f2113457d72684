import type { Knex } from 'knex';

/**
 * api_rate_counters: requests per second to /api/v1 by bucket (a tenant, the operator, or a
 * client address for unauthenticated calls), shared by every replica like SCIM's counters. A
 * bucket is not a tenant row (an address has none), so there is no foreign key; old seconds are
 * dropped by the limiter itself (http/rate-limit.ts), by bucket and, for buckets that never come
 * back, by age.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_rate_counters', (t) => {
    t.string('bucket', 120).notNullable();
    t.bigInteger('second').notNullable();
    t.integer('n').notNullable();
    t.primary(['bucket', 'second']);
    // The sweep of every bucket's old seconds.
    t.index(['second']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_rate_counters');
}
