import type { Knex } from 'knex';

/**
 * The durable job queue (publishes, webhook deliveries) and the webhook tables.
 *
 * `jobs` is not tenant-owned: a worker takes any tenant's job. A job is queued, running under a
 * lease (locked_until), or dead; finished jobs are deleted, since their effect is recorded where
 * it belongs (distribution_requests, webhook_deliveries).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jobs', (t) => {
    t.bigIncrements('id').primary();
    t.string('queue', 60).notNullable();
    // Coalescing key: at most one queued job per (queue, key); a running one does not count,
    // so a change made while a job runs still gets a job of its own.
    t.string('key', 200);
    t.string('tenant_id', 40);
    t.jsonb('payload').notNullable();
    t.string('status', 10).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.timestamp('run_after', { useTz: true }).notNullable();
    t.string('locked_by', 100);
    t.timestamp('locked_until', { useTz: true });
    t.string('last_error', 1000);
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.raw(`CREATE UNIQUE INDEX jobs_queued_key ON jobs (queue, key) WHERE status = 'queued' AND key IS NOT NULL`);
  await knex.raw(`CREATE INDEX jobs_due ON jobs (run_after) WHERE status = 'queued'`);
  await knex.raw(`CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'running'`);

  await knex.schema.createTable('webhooks', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('url', 2048).notNullable();
    t.jsonb('events').notNullable();
    t.text('secret_enc').notNullable();
    t.string('secret_key_id', 40);
    // active or disabled (a disabled webhook keeps its history and gets no new deliveries).
    t.string('status', 20).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'status']);
  });

  // One row per event, whatever the number of webhooks it goes to: its id is the idempotency key receivers see.
  await knex.schema.createTable('webhook_events', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('type', 60).notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.string('id', 40).primary();
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('webhook_id', 40).notNullable().references('webhooks.id').onDelete('CASCADE');
    t.string('event_id', 40).notNullable().references('webhook_events.id');
    // pending, delivered or failed.
    t.string('status', 12).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status_code');
    t.string('last_error', 500);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('failed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['webhook_id', 'event_id']);
    t.index(['tenant_id', 'webhook_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['webhook_deliveries', 'webhook_events', 'webhooks', 'jobs']) await knex.schema.dropTableIfExists(t);
}
