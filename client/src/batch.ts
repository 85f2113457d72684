import type { ClaresiaClient } from './client.js';

/**
 * Coalesces reads by id into one list request (`GET <list>?id=a&id=b`), so a refresh of 200
 * resources costs a handful of round trips. Reads that arrive within `windowMs` of each other
 * share a request; ids missing from the answer resolve to undefined (gone).
 */
export class BatchReader<T extends Record<string, unknown>> {
  private pending = new Map<string, Array<{ resolve: (v: T | undefined) => void; reject: (e: unknown) => void }>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ClaresiaClient,
    private readonly listPath: string,
    private readonly idField: string,
    private readonly opts: { windowMs?: number; maxIds?: number } = {},
  ) {}

  read(id: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(id) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(id, waiters);
      if (this.pending.size >= (this.opts.maxIds ?? 100)) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.windowMs ?? 5);
    });
  }

  private flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    this.client
      .get<{ items: T[] }>(this.listPath, { query: { id: ids, limit: String(ids.length) } })
      .then(({ body }) => {
        const found = new Map((body?.items ?? []).map((item) => [String(item[this.idField]), item]));
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
      })
      .catch((err) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      });
  }
}
