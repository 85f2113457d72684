import type { Tx } from '../db/connection.js';

/**
 * Caps how long each statement of `trx` may run and each lock it asks for may be waited on, for
 * work done while a client waits with a budget of its own (a read checking a failing link). Without
 * it a row lock held by another request (a PATCH of the Hub) holds the read for as long as that
 * request keeps it. SET LOCAL ends with the transaction, so the pooled connection goes back with
 * its usual settings. Called again before a later wait, it caps that one by what is left.
 */
export async function capWaits(trx: Tx, deadline: number): Promise<void> {
  // 0 would switch the limits off, not make them immediate.
  const ms = Math.max(1, Math.ceil(deadline - Date.now()));
  await trx.raw(`SET LOCAL lock_timeout = ${ms}`);
  await trx.raw(`SET LOCAL statement_timeout = ${ms}`);
}

/** Whether `err` is a wait cut by capWaits: a lock not granted in time, or a statement cancelled by its timeout. */
export function isWaitCut(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '57014';
}
