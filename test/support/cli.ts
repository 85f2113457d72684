import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';

/** Runs `claresia-control-plane` from its sources with only `env` (and PATH), uncoloured. */
export function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', ...args], { env: { PATH: process.env.PATH!, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A logger whose lines the test reads back, parsed. */
export function captureLogs(level: 'info' | 'debug' = 'debug') {
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, logger: pino({ level }, sink) };
}
