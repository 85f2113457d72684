import type { Knex } from 'knex';

/**
 * `emails eq "x"` and `emails[type eq "work"].value eq "x"` (Entra's matching lookup when an
 * admin makes email the matching attribute) test every value of a JSON array: EXISTS over
 * jsonb_array_elements, which no index answers, so each such lookup read every live user of the
 * directory. A GIN index over the lower-cased values gives the filter compiler a condition an
 * index can answer (`@>`), added beside the exact EXISTS test.
 *
 * The function is IMMUTABLE (an index expression must be): it reads only its argument, and
 * lower() of text is immutable in PostgreSQL. Anything that is not an array has no values.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE OR REPLACE FUNCTION scim_email_values(emails jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT COALESCE(array_agg(lower(e->>'value')) FILTER (WHERE e->>'value' IS NOT NULL), '{}')
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(emails) = 'array' THEN emails ELSE '[]'::jsonb END) AS e
    $$`);
  await knex.raw('CREATE INDEX scim_users_email_values ON scim_users USING gin (scim_email_values(emails)) WHERE deleted_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS scim_users_email_values');
  await knex.raw('DROP FUNCTION IF EXISTS scim_email_values(jsonb)');
}
