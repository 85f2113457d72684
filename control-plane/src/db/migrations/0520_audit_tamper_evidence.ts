import type { Knex } from 'knex';

/**
 * Tamper evidence for the governance chain against someone who can write to the database but
 * does not hold the master key.
 *
 * `governance_events.format`: events written from now on (format 2) also hash their signing key
 * ids, so a Hub co-signature cannot be stripped and a signature cannot be moved to another key
 * without breaking the control plane's signature. Existing rows keep format 1 and verify by the
 * rules they were written under; the format is itself hashed, so an event cannot be passed off
 * as the older one. The constant default keeps this a catalog-only change on PostgreSQL 11+.
 *
 * `audit_heads.key_id/signature/signed_at`: the head (tenant, seq, hash, time) signed with the
 * audit key at every append, so moving the head back over a deleted tail needs a signature the
 * database does not hold. Heads stay unsigned until their tenant's next append.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('governance_events', (t) => {
    t.smallint('format').notNullable().defaultTo(1);
  });
  await knex.schema.alterTable('audit_heads', (t) => {
    t.string('key_id', 40);
    t.text('signature');
    t.timestamp('signed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_heads', (t) => {
    t.dropColumn('signed_at');
    t.dropColumn('signature');
    t.dropColumn('key_id');
  });
  await knex.schema.alterTable('governance_events', (t) => {
    t.dropColumn('format');
  });
}
