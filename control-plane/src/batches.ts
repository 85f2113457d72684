/**
 * Adaptive batching by key: a call arriving while its key is idle is flushed at once, alone, so
 * an idle system pays no delay; calls arriving while a flush of their key is in flight wait for
 * it and are then flushed together. Under load the batch size follows the load by itself.
 * Used where concurrent requests of one tenant would otherwise queue on the same row lock.
 */
export class KeyedBatches<In, Out> {
  private readonly waiting = new Map<string, Array<Waiter<In, Out>>>();
  private readonly busy = new Set<string>();

  constructor(
    /** Settles every input of a batch, in order; throwing fails the whole batch. */
    private readonly flush: (key: string, inputs: In[]) => Promise<Array<PromiseSettledResult<Out>>>,
    /** Inputs per flush at most. */
    private readonly maxBatch = 32,
  ) {}

  run(key: string, input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ input, resolve, reject });
      this.waiting.set(key, queue);
      if (!this.busy.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.busy.add(key);
    try {
      for (;;) {
        const queue = this.waiting.get(key);
        if (!queue?.length) break;
        const batch = queue.splice(0, this.maxBatch);
        if (!queue.length) this.waiting.delete(key);
        try {
          const settled = await this.flush(key, batch.map((w) => w.input));
          batch.forEach((w, i) => {
            const s = settled[i]!;
            if (s.status === 'fulfilled') w.resolve(s.value);
            else w.reject(s.reason);
          });
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.busy.delete(key);
    }
  }
}

interface Waiter<In, Out> {
  input: In;
  resolve: (value: Out) => void;
  reject: (err: unknown) => void;
}
