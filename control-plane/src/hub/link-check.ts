import type { AppContext } from '../context.js';
import { clientKeyAad, type HubRow } from './hub-store.js';
import { probeMtls, type ProbeResult } from './mtls-probe.js';

/**
 * Checks a Mode C Hub's link as the customer's endpoint sees it: the Hub's own client
 * certificate, the customer's CA. One function for the provisioner and the periodic re-check,
 * so both give a broken link the same reason.
 */
export function checkHubLink(app: AppContext, hub: HubRow, timeoutMs: number): Promise<ProbeResult> {
  return probeMtls({
    url: hub.mtls_endpoint_url!,
    caPem: hub.customer_ca_certificate!,
    certificatePem: hub.client_certificate!,
    privateKeyPem: app.keys.open(hub.client_key_enc!, clientKeyAad(hub.id)).toString('utf8'),
    allowPrivate: app.config.allowPrivateUrls ?? false,
    timeoutMs,
  });
}
