/**
 * The wait after `failures` failed polls in a row (a job claim, a Hub provisioner pass): pollMs
 * doubled each time, at most the idle poll, so a database outage costs a few attempts a minute
 * rather than several a second.
 */
export function pollBackoffMs(failures: number, s: { pollMs: number; idlePollMs: number }): number {
  const cap = Math.max(s.pollMs, s.idlePollMs);
  return Math.min(cap, s.pollMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}
