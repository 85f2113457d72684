import type { NewEvent } from '../audit/chain.js';
import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { rewrapConnectorCredentials } from '../llm/connector-store.js';
import { disableCmekKey } from './cmek.js';
import { HUBS, type HubRow } from './hub-store.js';

type Audit = (event: Omit<NewEvent, 'actor'> & { actor?: string }) => Promise<unknown>;

/**
 * Takes a Hub out of service: its last event is still co-signed by it, then its key is retired.
 * A Mode B tenant's credentials move back under the tenant data key before the CMEK key is
 * disabled. Used by DELETE of the Hub and by the tenant's offboarding, which must leave no Hub
 * key co-signing and no customer-managed key enabled for a tenant that no longer exists.
 */
export async function decommissionHub(scope: TenantScope, keys: KeyRing, audit: Audit, hub: HubRow, now = new Date()): Promise<void> {
  await scope.table(HUBS).where({ id: hub.id }).update({ deleted_at: now, lease_until: null, next_attempt_at: null });
  await audit({ type: 'hub.deleted', subject: hub.id, data: { tenant_id: hub.tenant_id, mode: hub.mode, status: hub.status } });
  await scope.table('signing_keys').where({ purpose: 'hub' }).whereNull('retired_at').update({ retired_at: now });
  if (hub.cmek_key_id) {
    const rewrapped = await rewrapConnectorCredentials(scope, keys, null);
    await disableCmekKey(scope, hub.cmek_key_id, now);
    await audit({ type: 'cmek.key_disabled', subject: hub.cmek_key_id, data: { key_id: hub.cmek_key_id, hub_id: hub.id, credentials_rewrapped: rewrapped } });
  }
}
