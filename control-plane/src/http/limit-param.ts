import { badRequest } from './errors.js';

/**
 * The roster, telemetry and governance-event lists page up to 1000 rows: they are read by
 * people and exports walking a whole tenant, and 1000 was already their ceiling (a caller asking
 * for exactly that keeps working). Lists of managed objects stop at 500 (`parseListQuery`).
 */
export const MAX_LOG_LIMIT = 1000;

/**
 * `?limit=` as a page size. A value that is not a whole number in range is refused, naming
 * `limit`, rather than clamped or replaced by the default: a caller who asked for 5000 rows and
 * got 1000 with no error, or 100 for a typo, would page wrongly without knowing it.
 */
export function parseLimit(value: unknown, max = MAX_LOG_LIMIT, fallback = 100): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^[0-9]{1,7}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`limit must be an integer from 1 to ${max}`, 'limit', 'invalid_value');
  return n;
}
