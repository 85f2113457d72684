import type { JsonSchema } from '@claresia/catalog';
import { SKILL_ID_PATTERN } from '@claresia/catalog';
import type { Tx } from '../db/connection.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { ApiError, badRequest, unauthorized } from '../http/errors.js';
import { lockTenantOpen } from '../auth/tenant-status.js';
import { isSkill } from '../skills/catalog.js';
import type { Audit } from '../roster/members.js';
import { tableExists } from '../health/schema-probe.js';

export const EVENT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['skill_id', 'invocation_id'],
  properties: {
    connector_id: {
      type: 'string',
      minLength: 1,
      maxLength: 40,
      description: "The LLM connector the invocation came through. Required with a tenant token; with a connector's ingest credential it is that connector (omit it, or repeat it: another id is 400).",
    },
    skill_id: { type: 'string', pattern: SKILL_ID_PATTERN, description: 'The skill invoked.' },
    invocation_id: { type: 'string', minLength: 1, maxLength: 100, description: "The platform's id for this invocation; a retried delivery is recorded once." },
    occurred_at: { type: 'string', format: 'date-time', description: 'When it happened (RFC 3339); defaults to receipt time. Not before the tenant was created, nor more than 5 minutes ahead.' },
    user_email: { type: 'string', format: 'email', maxLength: 254, description: 'Who invoked it, when the platform says.' },
  },
};

export interface SkillInvocation {
  connector_id?: string;
  skill_id: string;
  invocation_id: string;
  occurred_at?: string;
  user_email?: string;
}

export interface IngestResult {
  recorded: boolean;
  duplicate: boolean;
  tenant_live: boolean;
}

/** How far a platform's clock may run ahead of ours, or behind when it stamps an invocation. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Records one skill invocation. The first one a tenant ever sends while onboarding is the
 * smoke test: the tenant becomes live and `tenant.live` is written, once; the conditional
 * update is what makes "once" hold when two invocations race.
 *
 * The smoke test proves the chain end to end, so while the tenant is onboarding only a
 * connector whose test passed may complete it: an untested or failing connector's invocation
 * is refused (and not recorded, since any recorded invocation turns the telemetry check green).
 * Only then is the connector row read FOR SHARE, so a test that fails it meanwhile waits for
 * this event; once live nothing depends on its status, and a share lock taken by every
 * invocation would hold off connector changes and, with many at once, make PostgreSQL create
 * MultiXacts. A tenant that goes live between the two reads only locks once more than needed.
 * Once live, every configured connector's invocations are recorded, whatever its last test said.
 */
export async function ingest(trx: Tx, scope: TenantScope, ev: SkillInvocation & { connector_id: string }, audit: Audit): Promise<IngestResult> {
  // The caller was authenticated before this transaction opened; an offboarding since then wins.
  if (!(await lockTenantOpen(trx, scope.tenantId))) throw unauthorized("this connector's tenant has been offboarded; remove the Claresia integration from the platform");
  const tenant = (await trx('tenants').where({ id: scope.tenantId }).first('status', 'created_at')) as { status: string; created_at: Date };
  const onboarding = tenant.status === 'onboarding';
  let connector: { id: string; status: string } | undefined;
  if (await tableExists(trx, 'llm_connectors')) {
    const q = scope.table('llm_connectors').where('id', ev.connector_id);
    connector = (await (onboarding ? q.forShare() : q).first('id', 'status')) as typeof connector;
  }
  if (!connector) throw badRequest(`connector_id: no LLM connector ${ev.connector_id} in this tenant; telemetry comes through a configured connector`, 'connector_id', 'unknown_connector');
  if (!isSkill(ev.skill_id)) throw badRequest(`skill_id: unknown skill "${ev.skill_id}"`, 'skill_id', 'unknown_skill');
  const now = new Date();
  const occurred = ev.occurred_at ? new Date(ev.occurred_at) : now;
  if (occurred.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw badRequest(`occurred_at ${occurred.toISOString()} is more than ${CLOCK_SKEW_MS / 60_000} minutes in the future; send when the invocation happened`, 'occurred_at', 'invalid_value');
  }
  const created = new Date(tenant.created_at);
  if (occurred.getTime() < created.getTime() - CLOCK_SKEW_MS) {
    throw badRequest(
      `occurred_at ${occurred.toISOString()} is before this tenant was created (${created.toISOString()}); send when the invocation happened`,
      'occurred_at',
      'invalid_value',
    );
  }
  if (onboarding && connector.status !== 'connected') {
    throw new ApiError(
      409,
      'connector_not_connected',
      `connector ${connector.id} is ${connector.status}: the smoke test that makes the tenant live needs a connector whose test passed; run POST /api/v1/llm/connectors/${connector.id}:test, then send the invocation again`,
      'connector_id',
    );
  }
  const inserted = await scope
    .insert('telemetry_events', {
      connector_id: ev.connector_id,
      invocation_id: ev.invocation_id,
      skill_id: ev.skill_id,
      user_email: ev.user_email?.toLowerCase() ?? null,
      occurred_at: occurred,
      received_at: now,
    })
    .onConflict(['tenant_id', 'connector_id', 'invocation_id'])
    .ignore()
    .returning('id');
  if (inserted.length === 0) return { recorded: false, duplicate: true, tenant_live: false };
  const went = await trx('tenants').where({ id: scope.tenantId, status: 'onboarding' }).update({ status: 'live', updated_at: now });
  if (went === 1) {
    await audit({
      type: 'tenant.live',
      subject: scope.tenantId,
      data: { smoke_test: { connector_id: ev.connector_id, skill_id: ev.skill_id, invocation_id: ev.invocation_id, occurred_at: occurred.toISOString() } },
    });
  }
  return { recorded: true, duplicate: false, tenant_live: went === 1 };
}
