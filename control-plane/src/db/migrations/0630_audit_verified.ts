import type { Knex } from 'knex';

/**
 * audit_verified: per tenant, how far the governance chain has been verified, so the health
 * check (read often: Terraform's claresia_tenant_health, the module output) goes on from there
 * instead of walking the whole chain on every read.
 *
 * - seq .. legacy_gaps: the state a walk ended in on a chain that checked out, signed (key_id,
 *   signature, verified_at) with the audit key, so a database writer without the master key
 *   cannot move it past events nobody verified. Null until a walk has checked out.
 * - broken_*: the first broken link the last failed walk found. It stays until a full verify
 *   (GET /api/v1/hub/governance-events:verify, verify-audit) checks out again: the health check
 *   does not walk a broken chain on every read.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_verified', (t) => {
    t.string('tenant_id', 40).primary().references('tenants.id');
    t.bigInteger('seq');
    t.string('hash', 64);
    t.smallint('format');
    t.string('hub_key_id', 40);
    t.jsonb('legacy_gaps');
    t.string('key_id', 40);
    t.text('signature');
    t.timestamp('verified_at', { useTz: true });
    t.bigInteger('broken_seq');
    t.bigInteger('broken_id');
    t.text('broken_reason');
    t.timestamp('broken_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_verified');
}
