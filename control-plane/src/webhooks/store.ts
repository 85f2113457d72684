import type { AppContext } from '../context.js';
import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { badRequest, notFound } from '../http/errors.js';
import { openTenantSecret, sealTenantSecret } from '../hub/cmek.js';
import { OutboundError } from '../net/guarded-fetch.js';
import { checkOutboundTarget } from '../net/outbound-target.js';

export interface WebhookRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  secret_enc: string;
  secret_key_id: string | null;
  /** The secret a rotation replaced, signing beside the current one until it expires (rotation.ts). */
  previous_secret_enc: string | null;
  previous_secret_key_id: string | null;
  previous_secret_expires_at: Date | null;
  /** How long the secret a rotation replaces keeps signing; 0 switches at once (rotation.ts). */
  secret_overlap_seconds: number;
  status: 'active' | 'disabled';
  created_at: Date;
  updated_at: Date;
}

export const WEBHOOKS = 'webhooks';

const parseEvents = (v: unknown): string[] => (typeof v === 'string' ? JSON.parse(v) : (v as string[]));

/**
 * The API shape: every attribute but the write-only secret. Whether a replaced secret still
 * signs is judged at the read, not by whether the delivery worker has yet dropped it.
 */
export function presentWebhook(row: WebhookRow) {
  const signsUntil = row.previous_secret_enc && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at).getTime() > Date.now() ? new Date(row.previous_secret_expires_at) : null;
  return {
    id: row.id,
    url: row.url,
    events: [...parseEvents(row.events)].sort(),
    status: row.status,
    secret_overlap_seconds: Number(row.secret_overlap_seconds ?? 0),
    previous_secret_expires_at: signsUntil ? signsUntil.toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

export async function loadWebhook(scope: TenantScope, id: string, lock = false): Promise<WebhookRow> {
  let q = scope.table<WebhookRow>(WEBHOOKS).where('id', id).first();
  if (lock) q = q.forUpdate();
  const row = (await q) as WebhookRow | undefined;
  if (!row) throw notFound(`webhook ${id}`, 'id');
  return { ...row, events: parseEvents(row.events) };
}

/** AAD for the sealed secret: a ciphertext copied onto another webhook will not open. */
const secretPurpose = (id: string) => `webhook:${id}:secret`;

export async function sealWebhookSecret(scope: TenantScope, keys: KeyRing, id: string, secret: string) {
  const s = await sealTenantSecret(scope, keys, secret, secretPurpose(id));
  return { secret_enc: s.sealed, secret_key_id: s.keyId };
}

export function openWebhookSecret(scope: TenantScope, keys: KeyRing, row: Pick<WebhookRow, 'id' | 'secret_enc' | 'secret_key_id'>): Promise<string> {
  return openTenantSecret(scope, keys, { sealed: row.secret_enc, keyId: row.secret_key_id }, secretPurpose(row.id));
}

/**
 * A URL the control plane may POST to: https and public (its host name resolved too) unless
 * configuration allows local receivers.
 */
export async function checkWebhookUrl(app: AppContext, raw: string): Promise<string> {
  let url: URL;
  try {
    url = await checkOutboundTarget(raw, { allowPrivate: app.config.allowPrivateUrls ?? false });
  } catch (err) {
    if (err instanceof OutboundError) throw badRequest(`url ${err.message}`, 'url', 'invalid_value');
    throw err;
  }
  if (url.hash) throw badRequest('url must not carry a fragment', 'url', 'invalid_value');
  return raw;
}
