import type { AppContext } from '../context.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { notFound, notFoundBecause } from '../http/errors.js';
import { certificateNotAfter, fingerprintOf, inspectCaBundle } from './certificates.js';

export interface HubRow {
  id: string;
  tenant_id: string;
  mode: 'A' | 'B' | 'C';
  region: string;
  cmek_key_id: string | null;
  mtls_endpoint_url: string | null;
  customer_ca_certificate: string | null;
  client_certificate: string | null;
  client_key_enc: string | null;
  status: 'provisioning' | 'ready' | 'failed';
  status_reason: string | null;
  hub_key_id: string | null;
  attempts: number;
  next_attempt_at: Date | null;
  last_probe_at: Date | null;
  lease_until: Date | null;
  give_up_at: Date | null;
  created_at: Date;
  ready_at: Date | null;
  deleted_at: Date | null;
  /** Mode C, once ready: the last periodic check of the link, the last one that passed, why the latest failed. */
  link_checked_at: Date | null;
  link_verified_at: Date | null;
  link_error: string | null;
}

export const HUBS = 'hubs';
export const clientKeyAad = (hubId: string) => `hub_client_key:${hubId}`;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** The live Hubs of a tenant (a deleted Hub reads as gone). */
export function liveHubs(scope: TenantScope) {
  return scope.table<HubRow>(HUBS).whereNull('deleted_at');
}

export async function loadHub(scope: TenantScope, id: string, lock = false): Promise<HubRow> {
  let q = liveHubs(scope).where('id', id).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as HubRow | undefined;
  if (!row) throw notFound(`hub ${id}`, 'id');
  return row;
}

export async function currentHub(scope: TenantScope, lock = false): Promise<HubRow> {
  let q = liveHubs(scope).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as HubRow | undefined;
  if (!row) throw notFoundBecause('this tenant has no Hub; provision one with POST /api/v1/hub/provision');
  return row;
}

/** The API shape: every attribute of the hub catalog entry, nothing secret. */
export function presentHub(app: AppContext, row: HubRow) {
  return {
    id: row.id,
    mode: row.mode,
    region: row.region,
    mtls_endpoint_url: row.mtls_endpoint_url,
    customer_ca_certificate: row.customer_ca_certificate,
    cmek_key_id: row.cmek_key_id,
    control_plane_client_certificate: row.client_certificate,
    control_plane_client_certificate_sha256: row.client_certificate ? fingerprintOf(row.client_certificate) : null,
    control_plane_client_certificate_not_after: row.client_certificate ? certificateNotAfter(row.client_certificate) : null,
    // Checked when stored; read back without the time check so an expired CA still shows its fingerprint.
    customer_ca_certificate_sha256: row.customer_ca_certificate ? caFingerprints(row.customer_ca_certificate) : null,
    endpoint: row.mode === 'C' ? row.mtls_endpoint_url : `${app.publicUrl()}/api/v1/hub`,
    status: row.status,
    status_reason: row.status_reason,
    hub_key_id: row.hub_key_id,
    tenant_id: row.tenant_id,
    created_at: iso(row.created_at),
    ready_at: iso(row.ready_at),
    link_checked_at: iso(row.link_checked_at),
    link_verified_at: iso(row.link_verified_at),
    link_error: row.link_error,
  };
}

function caFingerprints(pem: string): string {
  return inspectCaBundle(pem, null).fingerprints.join(',');
}
