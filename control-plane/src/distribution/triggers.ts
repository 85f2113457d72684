import { onEventAppended } from '../audit/hooks.js';
import { TenantScope } from '../db/tenant-scope.js';
import { requestRepublish } from '../skills/entitlements.js';

/**
 * A person's archetype decides their skills, so every archetype assignment (CSV import, SCIM
 * sync, an admin's override) asks for a publish, in the same transaction. Entitlement, pack and
 * lifecycle changes ask for theirs where they are made.
 */
onEventAppended(async (trx, event) => {
  if (event.type !== 'rbac.archetype_assigned') return;
  const email = typeof event.data.email === 'string' ? event.data.email : event.subject;
  await requestRepublish(new TenantScope(trx, event.tenant_id), event.actor, `archetype of ${email ?? 'a member'} assigned`);
});
