import type { Knex } from 'knex';

/**
 * roster/holders.ts departures() runs at every publish, import and roster sync, and asks which
 * active SCIM users hold an address a departed user held. No index answered that by the roster
 * address (0880's holds inactive users only), so PostgreSQL read every SCIM user of the tenant
 * (10,000 users: 715 heap pages, 14 ms) however few had left; with this one it probes the index
 * once per departed address. Over every user rather than the active ones: PostgreSQL keeps
 * statistics of an index expression but does not estimate with a partial index's, and without
 * them it takes a list of a few hundred addresses to match every user and reads them all again.
 * The expression is holders.ts ADDRESS_SQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX scim_users_address ON scim_users (tenant_id, (lower(trim(coalesce(email, user_name)))))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS scim_users_address');
}
