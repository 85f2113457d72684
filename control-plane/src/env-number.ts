/**
 * A positive number from the environment, or the fallback when unset. A bad value stops the
 * control plane at start with the variable's name, rather than running with a surprise pace.
 */
export function positiveNumberEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/**
 * A whole number from the environment within [min, max] (max unbounded unless given), or the
 * fallback when unset. The one reader of integer settings (ports, pools, TTLs, rates, the heap).
 */
export function integerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0, max?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Digits only: Number() also reads 0x50, 1e1, +5, 5.0 and " 5", none of which anyone means.
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isInteger(n) && n >= min && (max === undefined || n <= max)) return n;
  const what = max !== undefined ? `a whole number from ${min} to ${max}` : `a ${min > 0 ? 'positive' : 'non-negative'} integer`;
  throw new Error(`${name} must be ${what}, got "${raw.slice(0, 40)}"`);
}
