import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { openWebhookSecret, sealWebhookSecret, WEBHOOKS, type WebhookRow } from './store.js';

/**
 * How long a replaced secret keeps signing deliveries beside the new one. A receiver that
 * accepts any matching `v1` can take the new secret at any moment of this window; one that
 * learns of the rotation later than this loses deliveries, as it would without an overlap.
 */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

export type SigningSecretColumns = Pick<WebhookRow, 'id' | 'secret_enc' | 'secret_key_id' | 'previous_secret_enc' | 'previous_secret_key_id' | 'previous_secret_expires_at'>;

/**
 * The columns that make `secret` the webhook's secret and keep the one it replaces (still
 * sealed, under the key it was sealed with) until the overlap ends. Only the secret just
 * replaced is kept: rotating twice within a day ends the first one's overlap.
 */
export async function rotateSecret(scope: TenantScope, keys: KeyRing, row: SigningSecretColumns, secret: string, now: Date) {
  return {
    ...(await sealWebhookSecret(scope, keys, row.id, secret)),
    previous_secret_enc: row.secret_enc,
    previous_secret_key_id: row.secret_key_id,
    previous_secret_expires_at: new Date(now.getTime() + SECRET_OVERLAP_MS),
  };
}

const overlapping = (row: SigningSecretColumns, now: number) =>
  !!row.previous_secret_enc && !!row.previous_secret_expires_at && new Date(row.previous_secret_expires_at).getTime() > now;

/** The secrets an attempt made `now` is signed with: the current one, then the previous one while its overlap lasts. */
export async function signingSecrets(scope: TenantScope, keys: KeyRing, row: SigningSecretColumns, now: number): Promise<string[]> {
  const current = await openWebhookSecret(scope, keys, row);
  if (!overlapping(row, now)) return [current];
  const previous = await openWebhookSecret(scope, keys, { id: row.id, secret_enc: row.previous_secret_enc!, secret_key_id: row.previous_secret_key_id });
  return previous === current ? [current] : [current, previous];
}

/**
 * Drops a previous secret whose overlap is over, so it is not kept (even sealed) longer than it
 * signs. Guarded by the expiry read, so a rotation committed meanwhile keeps its own.
 */
export async function forgetExpiredSecret(scope: TenantScope, row: SigningSecretColumns, now: number): Promise<void> {
  if (!row.previous_secret_enc || !row.previous_secret_expires_at || overlapping(row, now)) return;
  await scope
    .table(WEBHOOKS)
    .where({ id: row.id, previous_secret_expires_at: new Date(row.previous_secret_expires_at) })
    .update({ previous_secret_enc: null, previous_secret_key_id: null, previous_secret_expires_at: null });
}
