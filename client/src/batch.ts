import type { ClaresiaClient } from './client.js';

/** The promise's outcome, or the signal's reason if it fires first. */
function untilAborted<V>(promise: Promise<V>, signal?: AbortSignal): Promise<V> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Coalesces reads by id into list requests (`GET <list>?id=a&id=b`), so a refresh of 200
 * resources costs a handful of round trips. Adaptive, with no fixed delay: reads that arrive
 * together go out together, and reads that arrive while a request is in flight wait for it
 * and then go out as one. Ids missing from the answer resolve to undefined (gone).
 *
 * With `prefetch`, the first read also asks for one page of the whole list: when that page is
 * the complete list (next_cursor null), every later read is answered from it, so refreshing
 * all of a tenant's objects is one round trip. Meant for one refresh pass (a Terraform plan),
 * where every read describes the same moment; never for polling.
 */
export class BatchReader<T extends Record<string, unknown>> {
  private pending = new Map<string, Array<{ resolve: (v: T | undefined) => void; reject: (e: unknown) => void }>>();
  private inFlight = 0;
  private scheduled = false;
  private snapshot: Promise<{ items: Map<string, T>; complete: boolean } | undefined> | undefined;

  constructor(
    private readonly client: ClaresiaClient,
    private readonly listPath: string,
    private readonly idField: string,
    private readonly opts: { maxIds?: number; maxInFlight?: number; prefetch?: boolean; prefetchLimit?: number } = {},
  ) {}

  /**
   * A signal ends this caller's wait, not the shared request: other reads may be waiting on
   * the same list answer.
   */
  async read(id: string, signal?: AbortSignal): Promise<T | undefined> {
    if (this.opts.prefetch) {
      this.snapshot ??= this.fetchSnapshot();
      const snap = await untilAborted(this.snapshot, signal);
      if (snap && (snap.complete || snap.items.has(id))) return snap.items.get(id);
    }
    return untilAborted(this.readBatched(id), signal);
  }

  /** One page of the whole list; undefined when the list cannot be read that way. */
  private async fetchSnapshot() {
    try {
      const { body } = await this.client.get<{ items: T[]; next_cursor?: string | null }>(this.listPath, { query: { limit: String(this.opts.prefetchLimit ?? 500) } });
      if (!Array.isArray(body?.items)) return undefined;
      return { items: new Map(body.items.map((item) => [String(item[this.idField]), item])), complete: body.next_cursor === null };
    } catch {
      return undefined;
    }
  }

  private readBatched(id: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(id) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(id, waiters);
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled) return;
    if (this.inFlight >= (this.opts.maxInFlight ?? 2) && this.pending.size < (this.opts.maxIds ?? 100)) return;
    this.scheduled = true;
    // One turn of the event loop: reads Terraform sent in the same burst join this request.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush() {
    if (this.pending.size === 0) return;
    const max = this.opts.maxIds ?? 100;
    const batch = new Map([...this.pending].slice(0, max));
    for (const id of batch.keys()) this.pending.delete(id);
    const ids = [...batch.keys()];
    this.inFlight++;
    this.client
      .get<{ items: T[] }>(this.listPath, { query: { id: ids, limit: String(ids.length) } })
      .then(({ body }) => {
        const found = new Map((body?.items ?? []).map((item) => [String(item[this.idField]), item]));
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
      })
      .catch((err) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      })
      .finally(() => {
        this.inFlight--;
        if (this.pending.size > 0) this.schedule();
      });
    if (this.pending.size > 0) this.schedule();
  }
}
