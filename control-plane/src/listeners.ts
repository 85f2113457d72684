/**
 * Listeners other modules register at load and a writer calls in order, inside its
 * transaction; each gets the same arguments and may fail the write by throwing.
 */
export class Listeners<A extends unknown[]> {
  private readonly fns: Array<(...args: A) => Promise<void>> = [];

  /** Returns a function that unsubscribes (tests use it). */
  add(fn: (...args: A) => Promise<void>): () => void {
    this.fns.push(fn);
    return () => {
      const i = this.fns.indexOf(fn);
      if (i >= 0) this.fns.splice(i, 1);
    };
  }

  async emit(...args: A): Promise<void> {
    // A copy, so a listener that unsubscribes while running does not skip the next one.
    for (const fn of [...this.fns]) await fn(...args);
  }
}
