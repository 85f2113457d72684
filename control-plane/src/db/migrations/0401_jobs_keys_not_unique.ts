import type { Knex } from 'knex';

/**
 * Queued jobs no longer coalesce through a unique index: an insert that meets another
 * transaction's uncommitted row on a unique index waits for it, and enqueues happen while the
 * audit chain's head row is locked in some writers and before it in others, which could
 * deadlock two writers of one tenant. Jobs with one key are instead run one at a time by the
 * claim, and a publish drops the queued jobs its snapshot covers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS jobs_queued_key');
  await knex.raw('CREATE INDEX jobs_by_key ON jobs (queue, key, status) WHERE key IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS jobs_by_key');
  await knex.raw(`CREATE UNIQUE INDEX jobs_queued_key ON jobs (queue, key) WHERE status = 'queued' AND key IS NOT NULL`);
}
