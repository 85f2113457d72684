import type { JsonSchema } from '@claresia/catalog';
import type { Queryable } from '../db/connection.js';
import { validateBody } from '../http/validate.js';

/**
 * The longest a replaced client secret or SCIM token may go on working beside the new one, as for
 * a webhook secret: past a week it is no longer a bridge for a deploy but a second credential
 * nobody rotates.
 */
export const MAX_CREDENTIAL_OVERLAP_SECONDS = 7 * 24 * 3600;

/** The optional body of a rotation: how long the replaced credential stays valid, in seconds. */
export function rotationBody(field: string, defaultSeconds: number, what: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      [field]: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_CREDENTIAL_OVERLAP_SECONDS,
        default: defaultSeconds,
        description: `How long the replaced ${what} keeps working beside the new one, in seconds (0: it stops at once, as for a leaked one; at most ${MAX_CREDENTIAL_OVERLAP_SECONDS}). Default ${defaultSeconds}.`,
      },
    },
  };
}

/**
 * The overlap a rotation request asks for. The body is optional (callers written before the
 * overlap existed send none); a body naming anything else is refused with the field named.
 */
export function overlapFrom(schema: JsonSchema, field: string, defaultSeconds: number, body: unknown): number {
  if (body === undefined) return defaultSeconds;
  const parsed = validateBody<Record<string, unknown>>(schema, body);
  const v = parsed[field];
  return typeof v === 'number' ? v : defaultSeconds;
}

/**
 * When the replaced credential stops working, by the database clock (which the checks compare
 * against, so replicas with skewed clocks agree); null for no overlap.
 */
export function overlapEnd(db: Queryable, seconds: number) {
  return seconds > 0 ? db.raw("now() + (? * interval '1 second')", [seconds]) : null;
}

/** An expiry as the API reports it: null once it has passed, so a read never shows a dead overlap. */
export function liveUntil(expiresAt: Date | string | null | undefined, nowMs = Date.now()): string | null {
  if (!expiresAt) return null;
  const t = new Date(expiresAt);
  return t.getTime() > nowMs ? t.toISOString() : null;
}
