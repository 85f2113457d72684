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
