import type { Knex } from 'knex';

/**
 * webhooks.secret_overlap_seconds: how long a replaced secret keeps signing beside the new one.
 * 0 (every existing webhook) switches at once and keeps the one-`v1` signature header that
 * receivers were written to; a longer overlap is asked for, per webhook, by whoever knows its
 * receivers accept any matching `v1`. Kept on the row rather than taken per request because
 * Terraform and Pulumi send only what changed: a rotation that bumps only the secret must still
 * get the overlap its configuration asks for.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    t.integer('secret_overlap_seconds').notNullable().defaultTo(0);
  });
  await knex.raw('ALTER TABLE webhooks ADD CONSTRAINT webhooks_secret_overlap_seconds_range CHECK (secret_overlap_seconds BETWEEN 0 AND 604800)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    t.dropColumn('secret_overlap_seconds');
  });
}
