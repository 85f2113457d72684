import type { Knex } from 'knex';

/**
 * Whether a departed person had an address as work email (roster/holders.ts departedWorkEmail) is
 * asked for each member at a login whenever a user is de-provisioned or re-activated. No index
 * answered it: PostgreSQL read every SCIM user of the tenant (10,000 users: 1,000 pages, 14 ms,
 * per member, per event). Partial, as the question is only asked of inactive users (a deleted one
 * is inactive too), who change rarely, so SCIM writes of active users do not pay for it; covering,
 * so the lookup reads the index alone. The expression is holders.ts ADDRESS_SQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX scim_users_departed_address ON scim_users (tenant_id, (lower(trim(coalesce(email, user_name))))) INCLUDE (email, user_name) WHERE NOT active');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS scim_users_departed_address');
}
