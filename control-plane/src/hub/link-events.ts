import type { AppContext } from '../context.js';
import { appendEvent } from '../audit/chain.js';
import type { Tx } from '../db/connection.js';
import type { HubRow } from './hub-store.js';

/**
 * The workers that check a link, and how the log line says a check of theirs ended a loss: a
 * periodic check that passed, the same check brought forward by a read of the Hub or of tenant
 * health (hub/link-on-read.ts), or the proof of new link settings (a PATCH of the endpoint or CA
 * bundle) by the provisioner.
 */
export type LinkChecker = 'link-monitor' | 'read' | 'provisioner';
const CHECKERS: Record<LinkChecker, { actor: string; how: string }> = {
  'link-monitor': { actor: 'claresia:hub-link-monitor', how: 'passed its periodic check' },
  read: { actor: 'claresia:hub-link-monitor', how: 'passed its periodic check, brought forward by a read' },
  provisioner: { actor: 'claresia:hub-provisioner', how: 'passed the check of its new link settings' },
};

/** A ready Mode C Hub's link failed a check after passing: audited and logged once per loss. */
export async function linkLost(app: AppContext, trx: Tx, hub: HubRow, reason: string): Promise<void> {
  await appendEvent(trx, app.keys, hub.tenant_id, {
    type: 'hub.link_lost',
    actor: CHECKERS['link-monitor'].actor,
    subject: hub.id,
    data: {
      tenant_id: hub.tenant_id,
      hub_id: hub.id,
      endpoint: hub.mtls_endpoint_url,
      reason,
      last_verified_at: hub.link_verified_at ? new Date(hub.link_verified_at).toISOString() : null,
    },
  });
  app.logger.warn({ tenant_id: hub.tenant_id, hub_id: hub.id, endpoint: hub.mtls_endpoint_url, reason }, 'hub link lost: the Mode C endpoint failed its periodic check');
}

/**
 * The end of a loss: every path that clears a set link_error calls this in the same transaction,
 * so each hub.link_lost is followed by exactly one hub.link_restored (outages can be measured by
 * pairing them). `hub` is the row as locked before the update, carrying the error that ends.
 */
export async function linkRestored(app: AppContext, trx: Tx, hub: HubRow, httpStatus: number, by: LinkChecker): Promise<void> {
  const { actor, how } = CHECKERS[by];
  await appendEvent(trx, app.keys, hub.tenant_id, {
    type: 'hub.link_restored',
    actor,
    subject: hub.id,
    data: { tenant_id: hub.tenant_id, hub_id: hub.id, endpoint: hub.mtls_endpoint_url, previous_error: hub.link_error, endpoint_http_status: httpStatus },
  });
  app.logger.info({ tenant_id: hub.tenant_id, hub_id: hub.id, endpoint: hub.mtls_endpoint_url }, `hub link restored: the Mode C endpoint ${how}`);
}
