/**
 * Errors that say the database cannot be reached or cannot take this connection right now, as
 * opposed to a query it refused: the caller should retry later (503 + Retry-After), and the
 * replica should not report a bug.
 */

/** Seconds a caller is told to wait before retrying while the database is out of reach. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs: class 08 (connection exception), 57P01-57P03 (the server is shutting down,
 * crashed, or not accepting connections yet), 53300 (too many connections).
 */
const SQLSTATES = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** A socket to the database failing (pg reports these as the socket's own error). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * node-postgres's own words for a connection that went away under a query (knex puts the
 * statement and " - " in front of them).
 */
const PG_MESSAGES = /(^|\s-\s)(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; syscall?: unknown; name?: unknown; message?: unknown };
  // The pool waited its acquireConnectionTimeout for a connection: none could be opened or freed.
  if (e.name === 'KnexTimeoutError') return true;
  if (typeof e.code === 'string') {
    if (SQLSTATES.test(e.code)) return true;
    // Only a socket error itself: outbound calls (IdPs, webhooks) wrap theirs (net/guarded-fetch.ts).
    if (SOCKET_CODES.has(e.code) && typeof e.syscall === 'string') return true;
  }
  return typeof e.message === 'string' && PG_MESSAGES.test(e.message);
}
