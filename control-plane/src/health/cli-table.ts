import { styleText } from 'node:util';
import { CliError } from '../cli-error.js';
import { apiError, openSession, request } from './cli-session.js';
import type { Check, Status } from './checks.js';

type Style = Parameters<typeof styleText>[0];

export interface HealthReport {
  overall: Status;
  checks: Check[];
  onboarding: { completed: number; steps: Array<{ step: number; name: string; done: boolean }> };
  checked_at: string;
}

/** Colour only for a terminal that wants it (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return true;
  return !!stream.isTTY;
}

export function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** The health report as a table: one row per check, its status coloured, then onboarding progress. */
export function renderHealth(h: HealthReport, colour: boolean): string {
  const paint = (style: Style, s: string) => (colour ? styleText(style, s) : s);
  const status = (s: string) => paint(s === 'green' ? 'green' : 'red', s.toUpperCase().padEnd(6));
  const rows = h.checks.map((c) => [c.name, c.status, c.reason, c.action ?? ''] as const);
  const w = [Math.max(5, ...rows.map((r) => r[0].length)), 6, Math.max(6, ...rows.map((r) => r[2].length))];
  const out: string[] = [];
  out.push(paint('bold', `${'CHECK'.padEnd(w[0]!)}  ${'STATUS'.padEnd(w[1]!)}  ${'REASON'.padEnd(w[2]!)}  ACTION`));
  for (const r of rows) out.push(`${r[0].padEnd(w[0]!)}  ${status(r[1])}  ${r[2].padEnd(w[2]!)}  ${paint('dim', r[3])}`);
  out.push('');
  out.push(`overall: ${status(h.overall).trim()}    onboarding ${bar(h.onboarding.completed, 10, 20)} ${h.onboarding.completed}/10`);
  const next = h.onboarding.steps.find((s) => !s.done);
  if (next) out.push(`next step: ${next.step}. ${next.name}`);
  return out.join('\n') + '\n';
}

/**
 * `claresia-control-plane health [--url URL] [--json]`: exit status 0 when green, 1 when red;
 * a report that could not be had is a CliError with 2, so "red" means red.
 */
export async function healthCommand(args: string[]): Promise<number> {
  const s = await openSession(args);
  const res = await request(s.url, '/api/v1/observability/tenant-health', { headers: { Authorization: `Bearer ${s.token}` } });
  if (!res.ok) throw new CliError((await apiError(res)).message, 2);
  const h = (await res.json()) as HealthReport;
  process.stdout.write(args.includes('--json') ? JSON.stringify(h, null, 2) + '\n' : renderHealth(h, useColour(process.stdout)));
  return h.overall === 'green' ? 0 : 1;
}
