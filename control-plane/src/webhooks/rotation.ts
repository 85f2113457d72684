import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { openWebhookSecret, sealWebhookSecret, WEBHOOKS, type WebhookRow } from './store.js';

/**
 * The longest overlap a webhook may ask for. Past a week the replaced secret is no longer a
 * bridge for a deploy but a second key nobody rotates.
 */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;

export type SigningSecretColumns = Pick<WebhookRow, 'id' | 'secret_enc' | 'secret_key_id' | 'previous_secret_enc' | 'previous_secret_key_id' | 'previous_secret_expires_at'>;

const NO_PREVIOUS = { previous_secret_enc: null, previous_secret_key_id: null, previous_secret_expires_at: null } as const;

/**
 * The columns that make `secret` the webhook's secret. With an overlap, the one it replaces is
 * kept (still sealed, under the key it was sealed with) and signs beside it until the overlap
 * ends; with none (0), nothing is kept: the switch is at once, which is also what a leaked
 * secret calls for. Only the secret just replaced is kept: rotating again ends the first
 * one's overlap.
 */
export async function rotateSecret(scope: TenantScope, keys: KeyRing, row: SigningSecretColumns, secret: string, overlapSeconds: number, now: Date) {
  const sealed = await sealWebhookSecret(scope, keys, row.id, secret);
  if (overlapSeconds <= 0) return { ...sealed, ...NO_PREVIOUS };
  return {
    ...sealed,
    previous_secret_enc: row.secret_enc,
    previous_secret_key_id: row.secret_key_id,
    previous_secret_expires_at: new Date(now.getTime() + overlapSeconds * 1000),
  };
}

/**
 * When a webhook's overlap is lowered while a replaced secret still signs: that secret stops no
 * later than the new overlap allows from now (0: at once), so lowering it is how an admin who
 * learns that the old secret leaked ends the overlap. A raise never lengthens a running one.
 * Undefined when nothing changes.
 */
export function shortenOverlap(row: SigningSecretColumns, overlapSeconds: number, now: Date) {
  if (!overlapping(row, now.getTime())) return undefined;
  const end = now.getTime() + overlapSeconds * 1000;
  if (end >= new Date(row.previous_secret_expires_at!).getTime()) return undefined;
  return overlapSeconds <= 0 ? { ...NO_PREVIOUS } : { previous_secret_expires_at: new Date(end) };
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
    .update({ ...NO_PREVIOUS });
}
