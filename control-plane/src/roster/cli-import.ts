import { createReadStream, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { styleText } from 'node:util';
import { apiError, flag, openSession } from '../health/cli-session.js';
import { bar, useColour } from '../health/cli-table.js';
import type { ImportReport } from './csv-import.js';

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

const USAGE = 'usage: roster-import FILE.csv [--url URL] [--charset LABEL] [--replace [--max-removals N]]';
const VALUE_FLAGS = new Set(['--url', '--charset', '--max-removals']);

/** An HTTP token (RFC 9110), which is what a charset label is; anything else would break the header. */
const CHARSET_LABEL = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/;

/**
 * The server's charset advice is in HTTP terms (Content-Type: text/csv; charset=...); this says
 * how to follow it with this command.
 */
function charsetHint(file: string, sent: string | undefined, messages: string[]): string | undefined {
  if (!messages.some((m) => /charset|UTF-8/i.test(m))) return undefined;
  const example = `roster-import ${file} --charset windows-1252`;
  return sent === undefined
    ? `this command sends the file's charset with --charset LABEL (the Content-Type charset), e.g. ${example}`
    : `--charset ${sent} was sent as the Content-Type charset; name the charset the file is really in (e.g. ${example}), or save it as "CSV UTF-8" and leave --charset out`;
}

/**
 * `claresia-control-plane roster-import FILE.csv [--url URL] [--charset LABEL] [--replace [--max-removals N]]`: streams the
 * file to POST /api/v1/roster/csv with a progress bar on stderr. The server reads as it writes,
 * so the bar tracks the import itself, not only the upload. --charset names the file's
 * encoding (an Excel "CSV (Comma delimited)" export is windows-1252); without it the server
 * reads UTF-8.
 */
export async function rosterImportCommand(args: string[]): Promise<number> {
  const file = args.find((a, i) => !a.startsWith('--') && !VALUE_FLAGS.has(args[i - 1] ?? ''));
  if (!file) throw new Error(USAGE);
  const charset = flag(args, '--charset');
  if (charset !== undefined && !CHARSET_LABEL.test(charset)) throw new Error(`--charset must be a charset label such as windows-1252, iso-8859-1 or utf-16 (${USAGE})`);
  const maxRemovals = flag(args, '--max-removals');
  const replace = args.includes('--replace');
  if (maxRemovals !== undefined && !replace) throw new Error(`--max-removals only applies with --replace (${USAGE})`);
  if (maxRemovals !== undefined && !/^\d{1,9}$/.test(maxRemovals)) throw new Error(`--max-removals must be a whole number (${USAGE})`);
  const query = new URLSearchParams(replace ? { mode: 'replace', ...(maxRemovals === undefined ? {} : { max_removals: maxRemovals }) } : {}).toString();
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
  const res = await fetch(`${s.url}/api/v1/roster/csv${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': charset === undefined ? 'text/csv' : `text/csv; charset=${charset}`, 'Content-Length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  draw(true);
  if (tty) process.stderr.write('\n');
  const paint = (style: Parameters<typeof styleText>[0], t: string) => (colour ? styleText(style, t) : t);
  if (!res.ok) {
    const err = (await res.clone().json().catch(() => ({}))) as { error?: { code?: string; message?: string; errors?: Array<{ line: number; field: string; message: string }>; error_count?: number } };
    for (const e of err.error?.errors ?? []) process.stderr.write(`${paint('red', `line ${e.line}`)}  ${e.field}: ${e.message}\n`);
    const hint = charsetHint(file, charset, [err.error?.message ?? '', ...(err.error?.errors ?? []).map((e) => e.message)]);
    if (hint) process.stderr.write(`${paint('yellow', 'hint')}  ${hint}\n`);
    if (err.error?.code === 'too_many_removals') process.stderr.write(`${paint('yellow', 'hint')}  if ${file} really is the whole roster, run again with --max-removals N (the most members you accept to take off)\n`);
    throw await apiError(res);
  }
  // The server's own report type: a field it renames fails this command's type check.
  const r = (await res.json()) as Pick<ImportReport, 'rows' | 'created' | 'updated' | 'unchanged' | 'matched' | 'unmatched' | 'unmatched_rows'> & Partial<Pick<ImportReport, 'deactivated' | 'deactivated_members' | 'kept_off' | 'kept_off_members'>>;
  process.stdout.write(`${r.rows} rows: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged; ${paint('green', `${r.matched} matched`)}, ${paint(r.unmatched ? 'yellow' : 'green', `${r.unmatched} unmatched`)}\n`);
  const listed = (n: number, ms: Array<{ email: string }> | undefined) => (ms?.length ? `: ${ms.slice(0, 20).map((m) => m.email).join(', ')}${n > 20 ? ', ...' : ''}` : '');
  if (replace) process.stdout.write(`${r.deactivated ?? 0} members not in the file turned inactive${listed(r.deactivated ?? 0, r.deactivated_members)}\n`);
  // Said only when there are some: the admin should know the file now keeps them off through a rehire.
  if (replace && r.kept_off) process.stdout.write(`${r.kept_off} members not in the file, inactive already, stay off until a file lists them${listed(r.kept_off, r.kept_off_members)}\n`);
  for (const u of r.unmatched_rows.slice(0, 20)) process.stdout.write(`  unmatched line ${u.line}: ${u.email} (${u.title ?? 'no title'})\n`);
  if (r.unmatched_rows.length > 20) process.stdout.write(`  ... see GET /api/v1/roster?unmatched=true\n`);
  return 0;
}
