import { KeyedBatches } from '../batches.js';
import type { Db, Tx } from './connection.js';

/**
 * Writes of one kind that can be made together, in fewer statements than one by one (e.g. one
 * multi-row INSERT for a burst of SCIM user creates). `run` settles each input in order; an input
 * it rejects must have written nothing, and anything thrown fails the whole transaction.
 */
export interface Bulk<In, Out> {
  run(trx: Tx, inputs: In[]): Promise<Array<PromiseSettledResult<Out>>>;
}

/**
 * A write that PostgreSQL chose as a deadlock victim, or that lost a serialization race, did
 * nothing: rolled back whole, it is run again, as its lock order cannot rule out every cycle
 * with another replica (a user added to another group between a SCIM DELETE's group lock and
 * its user lock). An IdP would retry too, but it reports a failed sync first.
 */
const RETRYABLE = new Set(['40P01', '40001']);
const ALONE_ATTEMPTS = 3;

type Write = { fn: (trx: Tx) => Promise<unknown> } | { bulk: Bulk<unknown, unknown>; input: unknown };

/**
 * Group commit for writes that all append to one tenant's audit chain. Each such write holds the
 * chain head from its event until its COMMIT, so concurrent writes of one tenant form a convoy,
 * each waiting out the others' round trips and fsyncs. Here a key (the tenant) has at most one
 * transaction in flight in this process: a write arriving while the key is idle runs at once, in
 * its own transaction, as before; writes arriving meanwhile wait and then run together, in
 * arrival order, in ONE transaction that locks the head once and commits once. Consecutive
 * writes of the same Bulk kind are made in one call of it.
 *
 * Every write of a batch commits or none does. When any of them fails (its own error, a
 * uniqueness violation that aborted the transaction, a deadlock with another replica's batch),
 * the batch is rolled back and each write is run again alone, so a write's outcome never depends
 * on which others shared its batch: the failing one fails by itself and the rest commit. Alone,
 * a deadlock victim is run again (RETRYABLE).
 */
export class GroupCommit {
  private readonly batches: KeyedBatches<Write, unknown>;

  constructor(
    private readonly db: Db,
    /** Writes per transaction at most: bounds how long the head is held and a batch's latency. */
    maxBatch = 32,
  ) {
    this.batches = new KeyedBatches((_key, writes) => (writes.length === 1 ? this.eachAlone(writes) : this.together(writes)), maxBatch);
  }

  run<T>(key: string, fn: (trx: Tx) => Promise<T>): Promise<T> {
    return this.batches.run(key, { fn }) as Promise<T>;
  }

  runBulk<In, Out>(key: string, bulk: Bulk<In, Out>, input: In): Promise<Out> {
    return this.batches.run(key, { bulk: bulk as Bulk<unknown, unknown>, input }) as Promise<Out>;
  }

  private async eachAlone(writes: Write[]): Promise<Array<PromiseSettledResult<unknown>>> {
    const out: Array<PromiseSettledResult<unknown>> = [];
    for (const w of writes) {
      for (let attempt = 1; ; attempt++) {
        try {
          out.push(await this.db.transaction(async (trx) => ('fn' in w ? { status: 'fulfilled', value: await w.fn(trx) } : (await w.bulk.run(trx, [w.input]))[0]!)));
          break;
        } catch (reason) {
          if (attempt < ALONE_ATTEMPTS && RETRYABLE.has((reason as { code?: string }).code ?? '')) continue;
          out.push({ status: 'rejected', reason });
          break;
        }
      }
    }
    return out;
  }

  private async together(writes: Write[]): Promise<Array<PromiseSettledResult<unknown>>> {
    try {
      return await this.db.transaction(async (trx) => {
        const out: Array<PromiseSettledResult<unknown>> = [];
        for (let i = 0; i < writes.length; ) {
          const w = writes[i]!;
          if ('fn' in w) {
            out.push({ status: 'fulfilled', value: await w.fn(trx) });
            i++;
            continue;
          }
          const inputs = [w.input];
          for (i++; i < writes.length; i++) {
            const next = writes[i]!;
            if (!('bulk' in next) || next.bulk !== w.bulk) break;
            inputs.push(next.input);
          }
          out.push(...(await w.bulk.run(trx, inputs)));
        }
        return out;
      });
    } catch {
      return this.eachAlone(writes);
    }
  }
}
