import type { Knex } from 'knex';

/**
 * - sso_used_assertions: the signed SAML assertions already redeemed, by connection and a hash of
 *   the assertion's ID (the IdP chooses the ID, so its length is not ours to bound), kept until the
 *   assertion could no longer be accepted anyway. An assertion that does not name its request in
 *   SubjectConfirmationData is otherwise bound to nothing but the unsigned Response around it.
 * - auth_sessions.connection_id: the SSO connection a user session came through, so deleting the
 *   connection or changing its IdP settings revokes the sessions it vouched for.
 * - auth_rate_counters: per-minute counters shared by every replica, for anonymous sign-in starts
 *   and for the failed sign-ins written to the audit chain.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sso_used_assertions', (t) => {
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('connection_id', 40).notNullable().references('sso_connections.id').onDelete('CASCADE');
    t.string('assertion_hash', 64).notNullable();
    t.timestamp('used_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['connection_id', 'assertion_hash']);
    t.index(['connection_id', 'expires_at']);
  });
  await knex.schema.alterTable('auth_sessions', (t) => {
    t.string('connection_id', 40);
  });
  await knex.raw('CREATE INDEX auth_sessions_connection_id_index ON auth_sessions (connection_id) WHERE connection_id IS NOT NULL');
  await knex.schema.createTable('auth_rate_counters', (t) => {
    t.string('tenant_id', 40).notNullable().references('tenants.id');
    t.string('bucket', 120).notNullable();
    t.bigInteger('minute').notNullable();
    t.integer('n').notNullable();
    t.primary(['tenant_id', 'bucket', 'minute']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('auth_rate_counters');
  await knex.raw('DROP INDEX IF EXISTS auth_sessions_connection_id_index');
  await knex.schema.alterTable('auth_sessions', (t) => {
    t.dropColumn('connection_id');
  });
  await knex.schema.dropTableIfExists('sso_used_assertions');
}
