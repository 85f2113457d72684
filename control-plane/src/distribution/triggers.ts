import { onEventAppended } from '../audit/hooks.js';
import { TenantScope } from '../db/tenant-scope.js';
import { requestRepublish } from '../skills/entitlements.js';

/**
 * A person's archetype decides their skills, so every archetype assignment (CSV import, SCIM
 * sync, an admin's override) asks for a publish, in the same transaction; so does a connector
 * whose test just passed, which would otherwise wait for the next change to get any grants.
 * Entitlement, pack and lifecycle changes ask for theirs where they are made.
 */
onEventAppended(async (trx, event) => {
  const scope = () => new TenantScope(trx, event.tenant_id);
  if (event.type === 'rbac.archetype_assigned') {
    const email = typeof event.data.email === 'string' ? event.data.email : event.subject;
    await requestRepublish(scope(), event.actor, `archetype of ${email ?? 'a member'} assigned`);
  } else if (event.type === 'connector.tested' && event.data.kind === 'llm' && event.data.result === 'connected') {
    await requestRepublish(scope(), event.actor, `connector ${event.subject} connected`);
  }
});
