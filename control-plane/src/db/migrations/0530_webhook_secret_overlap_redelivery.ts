import type { Knex } from 'knex';

/**
 * Webhook secret rotation with overlap, and redelivery.
 *
 * webhooks.previous_secret_*: the secret a PATCH replaced, sealed as the current one is (same AAD,
 * under the key it was sealed with), kept until previous_secret_expires_at. Deliveries made
 * before then are signed with both, so a receiver can switch to the new secret at any moment of
 * the overlap instead of at the instant of the PATCH.
 *
 * webhook_deliveries.redelivered_at: when an admin last asked for a finished delivery to be
 * sent again. Its retries run for the usual horizon from that moment, not from the event, which
 * may be days old by then.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    t.text('previous_secret_enc');
    t.string('previous_secret_key_id', 40);
    t.timestamp('previous_secret_expires_at', { useTz: true });
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.timestamp('redelivered_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropColumn('redelivered_at');
  });
  await knex.schema.alterTable('webhooks', (t) => {
    t.dropColumn('previous_secret_expires_at');
    t.dropColumn('previous_secret_key_id');
    t.dropColumn('previous_secret_enc');
  });
}
