import type { ClaresiaClient } from './client.js';

/**
 * Coalesces reads by id into list requests (`GET <list>?id=a&id=b`), so a refresh of 200
 * resources costs a handful of round trips. Adaptive, with no fixed delay: reads that arrive
 * together go out together, and reads that arrive while a request is in flight wait for it
 * and then go out as one. Ids missing from the answer resolve to undefined (gone).
 */
export class BatchReader<T extends Record<string, unknown>> {
  private pending = new Map<string, Array<{ resolve: (v: T | undefined) => void; reject: (e: unknown) => void }>>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly client: ClaresiaClient,
    private readonly listPath: string,
    private readonly idField: string,
    private readonly opts: { maxIds?: number; maxInFlight?: number } = {},
  ) {}

  read(id: string): Promise<T | undefined> {
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
