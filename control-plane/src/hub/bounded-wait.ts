import type { Knex } from 'knex';
import type { AppContext } from '../context.js';
import type { Db, Tx } from '../db/connection.js';

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

/** Our own code, beside PostgreSQL's two: no pooled connection came free by the deadline. */
const POOL_WAIT_CUT = 'CLARESIA_POOL_WAIT_CUT';

/**
 * Whether `err` is a wait cut: a lock not granted in time or a statement cancelled by its timeout
 * (capWaits), or no pooled connection free in time (withConnectionBy).
 */
export function isWaitCut(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '57014' || code === POOL_WAIT_CUT;
}

/**
 * `app` whose transactions wait for a pooled connection until `deadline` at most: the pool's own
 * acquire timeout (knex's, 60 s) is every caller's, and with every connection taken by other
 * requests it would hold a read with a budget of its own far past that budget. Past the deadline
 * the transaction fails as a wait cut (isWaitCut) with nothing run. Only app.db.transaction(fn) is
 * bounded: the check on read does all its database work in transactions.
 */
export function withConnectionBy(app: AppContext, deadline: number): AppContext {
  const db = new Proxy(app.db, {
    get(target, prop) {
      if (prop !== 'transaction') return Reflect.get(target, prop);
      return async (scope: (trx: Tx) => Promise<unknown>, config?: Knex.TransactionConfig) => {
        const connection = await connectionBy(target, deadline);
        try {
          // knex leaves a connection it was given to its owner: it goes back to the pool here.
          return await target.transaction(scope, { ...config, connection });
        } finally {
          target.client.releaseConnection(connection);
        }
      };
    },
  });
  return { ...app, db };
}

interface PendingAcquire {
  promise: Promise<unknown>;
  abort?: () => void;
}

/**
 * A connection from `db`'s pool, waited for until `deadline`. One free now is taken even past
 * it (a free connection comes without waiting for a timer), as capWaits allows a statement 1 ms.
 */
async function connectionBy(db: Db, deadline: number): Promise<unknown> {
  const pool = db.client.pool as { acquire(): PendingAcquire } | undefined;
  if (!pool) throw new Error('the database has no connection pool');
  const pending = pool.acquire();
  let cut!: () => void;
  const cutOff = new Promise<never>((_, reject) => {
    cut = () => reject(Object.assign(new Error('no database connection came free within the budget'), { code: POOL_WAIT_CUT }));
  });
  const timer = setTimeout(() => {
    cut();
    // tarn's abort takes the request out of the pool's queue; from a pool without one, a
    // connection handed over later goes straight back.
    if (pending.abort) pending.abort();
    else void pending.promise.then((c) => db.client.releaseConnection(c), () => {});
  }, Math.max(1, Math.ceil(deadline - Date.now())));
  try {
    return await Promise.race([pending.promise, cutOff]);
  } finally {
    clearTimeout(timer);
  }
}
