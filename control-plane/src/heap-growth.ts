import v8 from 'node:v8';
import { integerEnv } from './env-number.js';

/**
 * How far V8 lets the old generation grow past what the last full collection kept before it
 * starts the next one, as a percentage (300: to four times the live size).
 *
 * Left to itself, V8 picks the factor from how cheap its collections have been. Serving SCIM
 * pages, they are cheap (the process spends >99% of its time outside them), so it picks the
 * smallest factor: with ~30 MB live, a full collection every ~3 s at 100 requests/s, each
 * pausing requests for 5-20 ms, and those pauses made most of the slowest 1% of answers.
 * At 300 (V8's largest factor on a large host) it is about one per 30 s, for up to three times
 * the live heap more (~90 MB at ~30 MB live); V8 still never sets the limit past halfway from
 * the live size to the heap's maximum. 0 leaves the choice to V8.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 300;
const MAX = 1000;

export function heapGrowthPercent(env: NodeJS.ProcessEnv = process.env): number {
  return integerEnv(env, 'CLARESIA_HEAP_GROWTH_PERCENT', DEFAULT_HEAP_GROWTH_PERCENT, 0, MAX);
}

/**
 * Sets the growth for this process, unless node was started with the V8 flag itself. V8 reads
 * the factor each time it sizes the heap after a full collection, so setting it while running
 * takes effect from the next one; Node refuses V8 heap flags in NODE_OPTIONS, so this variable
 * is the way to change it without changing the command line.
 */
export function applyHeapGrowth(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  const percent = heapGrowthPercent(env);
  // A value given to node on its command line is the operator's, and wins.
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
