import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept before it
 * starts the next one, as a percentage (300: to four times the live size).
 *
 * Left to itself, V8 picks the factor from how cheap its collections have been. Serving SCIM
 * pages, they are cheap (the process spends >99% of its time outside them), so it picks the
 * smallest factor: with ~30 MB live, a full collection every ~3 s at 100 requests/s, each
 * pausing requests for 5-20 ms, and those pauses made most of the slowest 1% of answers.
 * At 300 (V8's own largest factor) it is about one per 30 s, for up to ~90 MB more heap.
 * 0 leaves the choice to V8.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 300;
const MAX = 1000;

export function heapGrowthPercent(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLARESIA_HEAP_GROWTH_PERCENT;
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX) throw new Error(`CLARESIA_HEAP_GROWTH_PERCENT must be a whole number from 0 to ${MAX}, got "${raw.slice(0, 40)}"`);
  return n;
}

/**
 * Sets the growth for this process. V8 reads the factor each time it sizes the heap after a
 * full collection, so setting it while running takes effect from the next one; Node refuses
 * V8 heap flags in NODE_OPTIONS, so this variable is the way to change it.
 */
export function applyHeapGrowth(env: NodeJS.ProcessEnv = process.env): number {
  const percent = heapGrowthPercent(env);
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
