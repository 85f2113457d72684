import { onEventAppended } from '../audit/hooks.js';
import { TenantScope } from '../db/tenant-scope.js';
import { requestRepublish } from '../skills/entitlements.js';

/**
 * A person's archetype decides their skills, so every archetype assignment (CSV import, SCIM
 * sync, an admin's override) asks for a publish, in the same transaction; so does a connector
 * whose test just passed, which would otherwise wait for the next change to get any grants.
 * Entitlement, pack and lifecycle changes ask for theirs where they are made.
 *
 * A passing test, or a new credential or base_url, also starts the connector's publish failures
 * afresh: the slow retry gives up on a connector by how long its publishes have failed
 * (publisher.ts giveUpOn), and a connector someone just fixed must get that whole time again,
 * not be given up on at its first failure.
 */
onEventAppended(async (trx, event) => {
  const scope = () => new TenantScope(trx, event.tenant_id);
  if (event.type === 'rbac.archetype_assigned') {
    const email = typeof event.data.email === 'string' ? event.data.email : event.subject;
    await requestRepublish(scope(), event.actor, `archetype of ${email ?? 'a member'} assigned`);
  } else if (event.type === 'connector.tested' && event.data.kind === 'llm' && event.data.result === 'connected') {
    await freshStart(scope(), event.subject);
    await requestRepublish(scope(), event.actor, `connector ${event.subject} connected`);
  } else if (event.type === 'connector.config_changed' && event.data.kind === 'llm' && isRecord(event.data.changes) && ('credential' in event.data.changes || 'base_url' in event.data.changes)) {
    await freshStart(scope(), event.subject);
  }
});

async function freshStart(scope: TenantScope, connectorId: string | null): Promise<void> {
  if (connectorId) await scope.table('llm_connectors').where('id', connectorId).whereNotNull('publish_failing_since').update({ publish_failing_since: null });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
