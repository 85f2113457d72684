import type { Knex } from 'knex';

/**
 * A SCIM user's answer body as JSON text, written with the document (scim/users.ts
 * `userColumns`). A page of 100 users is then spliced from text instead of 100 documents parsed
 * out of jsonb, reordered and serialised again. `rendered_format` names the layout that wrote it:
 * a row written by another layout (or before this migration: NULL) is rendered from `resource`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_users', (t) => {
    t.text('rendered');
    t.smallint('rendered_format');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_users', (t) => {
    t.dropColumn('rendered');
    t.dropColumn('rendered_format');
  });
}
