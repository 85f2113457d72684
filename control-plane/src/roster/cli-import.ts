import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { styleText } from 'node:util';
import { apiError, openSession } from '../health/cli-session.js';
import { bar, useColour } from '../health/cli-table.js';

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

/**
 * `claresia-control-plane roster-import FILE.csv [--url URL]`: streams the file to
 * POST /api/v1/roster/csv with a progress bar on stderr. The server reads as it writes, so the
 * bar tracks the import itself, not only the upload.
 */
export async function rosterImportCommand(args: string[]): Promise<number> {
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--url');
  if (!file) throw new Error('usage: roster-import FILE.csv [--url URL]');
  const size = statSync(file).size;
  const s = await openSession(args);
  const tty = !!process.stderr.isTTY;
  const colour = useColour(process.stderr);
  let sent = 0;
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const pct = size ? Math.floor((sent / size) * 100) : 100;
    const line = `importing ${bar(sent, size)} ${String(pct).padStart(3)}%  ${mb(sent)}/${mb(size)} MB`;
    if (tty) process.stderr.write(`\r${line}`);
    else if (force) process.stderr.write(`${line}\n`);
  };
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      sent += chunk.length;
      draw();
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream<Uint8Array>;
  const res = await fetch(`${s.url}/api/v1/roster/csv`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'text/csv', 'Content-Length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  draw(true);
  if (tty) process.stderr.write('\n');
  const paint = (style: Parameters<typeof styleText>[0], t: string) => (colour ? styleText(style, t) : t);
  if (!res.ok) {
    const err = (await res.clone().json().catch(() => ({}))) as { error?: { errors?: Array<{ line: number; field: string; message: string }>; error_count?: number } };
    for (const e of err.error?.errors ?? []) process.stderr.write(`${paint('red', `line ${e.line}`)}  ${e.field}: ${e.message}\n`);
    throw await apiError(res);
  }
  const r = (await res.json()) as { rows: number; created: number; updated: number; unchanged: number; matched: number; unmatched: number; unmatched_rows: Array<{ line: number; email: string; title: string | null }> };
  process.stdout.write(`${r.rows} rows: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged; ${paint('green', `${r.matched} matched`)}, ${paint(r.unmatched ? 'yellow' : 'green', `${r.unmatched} unmatched`)}\n`);
  for (const u of r.unmatched_rows.slice(0, 20)) process.stdout.write(`  unmatched line ${u.line}: ${u.email} (${u.title ?? 'no title'})\n`);
  if (r.unmatched_rows.length > 20) process.stdout.write(`  ... see GET /api/v1/roster?unmatched=true\n`);
  return 0;
}
