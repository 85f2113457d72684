/**
 * At most `size` tasks at once, each with a deadline: a task still waiting for a slot at its
 * deadline, or left with less than `minMs` before it when a slot frees, is not run at all (its
 * caller gets `undefined`). A caller that waits on reads (Terraform refreshing many Hubs) is then
 * bounded by its deadline, however many others queue with it.
 */
export class DeadlineSlots {
  private running = 0;
  private readonly queue: Array<{ deadline: number; start: () => void; skip: () => void }> = [];

  constructor(
    private readonly size: number,
    private readonly minMs: number,
  ) {}

  run<T>(deadline: number, task: (deadline: number) => Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const start = () => {
        this.running++;
        task(deadline)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.next();
          });
      };
      if (deadline - Date.now() < this.minMs) return resolve(undefined);
      if (this.running < this.size) return start();
      let timer: NodeJS.Timeout | undefined;
      const entry = {
        deadline,
        start: () => {
          clearTimeout(timer);
          start();
        },
        skip: () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      };
      this.queue.push(entry);
      timer = setTimeout(() => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(undefined);
      }, Math.max(0, deadline - this.minMs - Date.now()));
      timer.unref();
    });
  }

  /** Tasks running now. */
  get busy(): number {
    return this.running;
  }

  private next(): void {
    while (this.running < this.size && this.queue.length) {
      const entry = this.queue.shift()!;
      if (entry.deadline - Date.now() < this.minMs) entry.skip();
      else entry.start();
    }
  }
}
