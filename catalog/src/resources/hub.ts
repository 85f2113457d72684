import type { ResourceDef } from '../types.js';
import { tenant } from './tenant.js';

/**
 * Mode C reasons (control-plane/src/hub/mtls-probe.ts) that say the endpoint cannot be reached
 * at all: the address is unusable, or nothing answers there. Not a reset connection: a server
 * that does not trust the client certificate may drop the handshake that way, and that is what
 * the wait is for.
 */
const UNREACHABLE_REASONS = [
  'waiting: mtls_endpoint_url ',
  ...['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].map((code) => `waiting: the endpoint could not be reached (${code})`),
].map((prefix) => ({ prefix, input: 'mtls_endpoint_url' }));

export const hub: ResourceDef = {
  name: 'hub',
  title: 'Hub',
  description:
    "The tenant's governance Hub, one per tenant. Mode A is hosted by Claresia; Mode B is dedicated and encrypts the " +
    "tenant's credentials under a customer-managed key (CMEK) created for it; Mode C is the customer's own endpoint (BYOC), " +
    "reached over mutual TLS. Provisioning finishes in the background: poll status until ready or failed. Once ready, the " +
    "Hub's key co-signs every governance event of the tenant. In Mode C, changing customer_ca_certificate or mtls_endpoint_url " +
    "keeps the Hub, its key and its client certificate: status goes back to provisioning while the control plane proves the " +
    "link again with the same certificate, then to ready (or failed with the reason).",
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    // The runbook path; the Hub's own id paths live under /hubs so they cannot collide with /hub/governance-events.
    create: { method: 'POST', path: '/api/v1/hub/provision' },
    read: { method: 'GET', path: '/api/v1/hubs/{id}' },
    update: { method: 'PATCH', path: '/api/v1/hubs/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/hubs/{id}' },
    list: { method: 'GET', path: '/api/v1/hubs' },
  },
  importId: { format: '{id}', example: 'hub_0c4f7a92d1e8b635', idPrefix: 'hub', what: "the Hub's id (hub_...)" },
  async: {
    attribute: 'status',
    pending: ['provisioning'],
    ready: ['ready'],
    failed: ['failed'],
    reasonAttribute: 'status_reason',
    reasonContext: ['control_plane_client_certificate_sha256'],
    inconclusiveReasons: UNREACHABLE_REASONS,
    waitArgument: {
      name: 'wait_for_ready',
      description:
        'Whether create and update wait until status is ready (the default). In Mode C the wait goes on while the endpoint does not ' +
        'trust control_plane_client_certificate yet (status_reason "waiting: the endpoint must trust control_plane_client_certificate", ' +
        '"waiting: the endpoint refused the control plane\'s client certificate ..."), so it can be installed meanwhile; it ends at the ' +
        'first poll whose status_reason says the endpoint cannot be reached at all ("waiting: mtls_endpoint_url does not resolve", ' +
        '"waiting: the endpoint could not be reached (ECONNREFUSED)", also EHOSTUNREACH, ENETUNREACH, ETIMEDOUT), with a warning at ' +
        'mtls_endpoint_url quoting it: the Hub stays in state, untainted, with status provisioning, and the control plane keeps ' +
        'trying (for CLARESIA_HUB_LINK_DEADLINE_SECONDS, a day by default, then status failed), so it turns ready by itself once the ' +
        'endpoint is fixed (a refresh or claresia_hub_ready shows it). Set false in Mode C ' +
        "when the endpoint's trust store is managed in the same configuration: create then returns as soon as the control plane has issued " +
        'control_plane_client_certificate (status provisioning), so the certificate can be installed downstream, and the Hub turns ' +
        'ready by itself once the endpoint trusts it. Never sent to the API; changing it changes nothing in place.',
    },
  },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Hub id.' },
    mode: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ['A', 'B', 'C'],
      description: "Deployment mode; must equal the tenant's deployment_mode.",
      example: 'C',
    },
    region: {
      type: 'string',
      mode: 'optional_computed',
      forceNew: true,
      enum: tenant.attributes.region!.enum,
      description: "Region the Hub runs in; in Modes A and C it defaults to the tenant's region.",
      example: 'eu-west-1',
    },
    mtls_endpoint_url: {
      type: 'string',
      mode: 'optional',
      format: 'https-uri',
      maxLength: 2048,
      description:
        "The customer's Hub endpoint in Mode C, which demands a client certificate (https). Changing it keeps the Hub and its client " +
        'certificate; the link is proven again at the new address.',
      example: 'https://hub.acme.example:8443/claresia',
    },
    customer_ca_certificate: {
      type: 'string',
      mode: 'optional',
      format: 'pem-ca-bundle',
      maxLength: 65536,
      normalize: 'trim',
      description:
        "Mode C: PEM of the CA (or CA bundle, up to 10) that issued the endpoint's server certificate; each must be a CA certificate valid now. " +
        'To rotate the CA, first add the new CA next to the old one: the Hub and its client certificate stay, and the link is proven again.',
    },
    cmek_key_id: { type: 'string', mode: 'computed', description: 'Mode B: id of the customer-managed key created for the Hub.' },
    control_plane_client_certificate: {
      type: 'string',
      mode: 'computed',
      description: "Mode C: PEM of the control plane's client certificate; the customer's endpoint must trust it.",
    },
    control_plane_client_certificate_sha256: {
      type: 'string',
      mode: 'computed',
      description: 'Mode C: SHA-256 fingerprint of the client certificate (colon-separated hex, as openssl prints it).',
    },
    control_plane_client_certificate_not_after: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description: 'Mode C: when the client certificate expires (RFC 3339); monitor it.',
    },
    customer_ca_certificate_sha256: {
      type: 'string',
      mode: 'computed',
      description: 'Mode C: SHA-256 fingerprint of each customer CA certificate (colon-separated hex; comma-separated for a bundle).',
      derivedFrom: ['customer_ca_certificate'],
    },
    endpoint: {
      type: 'string',
      mode: 'computed',
      description: "Where the Hub is reached: the customer's mTLS endpoint in Mode C, the control plane's Hub API in Modes A and B.",
      derivedFrom: ['mtls_endpoint_url'],
    },
    status: {
      type: 'string',
      mode: 'computed',
      description: 'provisioning, then ready or failed.',
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
    status_reason: {
      type: 'string',
      mode: 'computed',
      description: 'What provisioning is waiting for, or why it failed.',
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
    hub_key_id: { type: 'string', mode: 'computed', description: 'Id of the Hub key that co-signs governance events once the Hub is ready.' },
    tenant_id: { type: 'string', mode: 'computed', description: 'The tenant the Hub belongs to.' },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
    ready_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description: 'When the link was last proven and the Hub became ready (RFC 3339).',
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
    link_checked_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description:
        'Mode C: when the control plane last checked the mTLS link of the ready Hub (RFC 3339). It checks it again every ' +
        'CLARESIA_HUB_LINK_CHECK_SECONDS (5 minutes by default); a failed check leaves status ready and sets link_error.',
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
    link_verified_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description: 'Mode C: when a check of the mTLS link last passed (RFC 3339).',
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
    link_error: {
      type: 'string',
      mode: 'computed',
      description:
        "Mode C: why the latest check of the ready Hub's mTLS link failed (the endpoint unreachable, its server certificate not " +
        'trusted under customer_ca_certificate, control_plane_client_certificate refused); null while the link passes. The tenant ' +
        "health's hub check is red meanwhile.",
      derivedFrom: ['mtls_endpoint_url', 'customer_ca_certificate'],
    },
  },
  rules: [
    {
      kind: 'required_when',
      attributes: ['region'],
      when: { mode: ['B'] },
      message: '{attribute} is required in Mode B (the region the dedicated Hub and its CMEK key live in)',
    },
    { kind: 'required_when', attributes: ['mtls_endpoint_url', 'customer_ca_certificate'], when: { mode: ['C'] }, message: '{attribute} is required in Mode C' },
    { kind: 'forbidden_when', attributes: ['mtls_endpoint_url', 'customer_ca_certificate'], when: { mode: ['A', 'B'] }, message: '{attribute} is only used in Mode C' },
  ],
  terraformExample: `resource "claresia_hub" "byoc" {
  mode                    = "C"
  mtls_endpoint_url       = "https://hub.acme.example:8443/claresia"
  customer_ca_certificate = file("acme-hub-ca.pem")
  # The endpoint's trust store takes the certificate below, in this same apply: do not block on it here.
  wait_for_ready = false
}

output "control_plane_client_certificate" {
  value = claresia_hub.byoc.control_plane_client_certificate
}`,
};
