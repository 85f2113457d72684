import type { Knex } from 'knex';

/**
 * roster_members.off_by_file: a replace import took the member off (the file no longer lists it).
 * Such a member at a person's login is the file's to give back: SCIM bringing the person back (a
 * rehire and the next roster/scim:sync, or a re-activation) leaves it off, where it gives back a
 * member SCIM itself took away. Nothing else in the row tells the two apart: a de-provisioning
 * ties the member to the user, but a member may be tied already when the file drops it. Members
 * off before this migration are taken as SCIM's, as they were until now.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roster_members', (t) => {
    t.boolean('off_by_file').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('roster_members', (t) => {
    t.dropColumn('off_by_file');
  });
}
