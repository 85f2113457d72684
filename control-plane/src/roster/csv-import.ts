import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { ApiError, badRequest } from '../http/errors.js';
import type { TenantScope } from '../db/tenant-scope.js';
import { lockRoster, upsertMembers, type Audit, type IncomingMember, type UpsertTally } from './members.js';
import { departures } from './holders.js';
import { activeCsvMembers, deactivateUnlisted, defaultMaxRemovals, keepOffUnlisted, type Removed } from './csv-replace.js';
import { EMAIL } from './email.js';
import { CsvDecodeError, decodeCsv } from './csv-decode.js';

/**
 * `POST /api/v1/roster/csv`, in two phases so no transaction waits on the network:
 *  1. the upload is streamed through the parser; rows are validated (every error kept with its
 *     line number) and valid ones spooled to a temporary file. Nothing touches the database.
 *  2. only if the whole file is valid, the spool is read back and written in batches inside
 *     one transaction; anything failing there rolls the whole import back.
 * Rows only add and update members (a person SCIM de-provisioned stays inactive: members.ts);
 * `mode=replace` also takes off the CSV members the file leaves out, within a guard
 * (csv-replace.ts). A 50,000-row roster never sits in memory; only the set of addresses seen
 * (to catch duplicates, and to know who is listed) grows with the file. On the embedded database (one connection) a slow upload
 * therefore blocks nobody.
 */

export const CSV_MAX_BYTES = 16 * 1024 * 1024;
export const CSV_MAX_ROWS = 100_000;
const BATCH = 500;
const MAX_REPORTED = 100;
const MAX_UNMATCHED_LISTED = 500;

const REQUIRED = ['email', 'first_name', 'last_name', 'title'] as const;
const OPTIONAL = ['department', 'manager_email'] as const;
const COLUMNS: readonly string[] = [...REQUIRED, ...OPTIONAL];
const LIMITS: Record<string, number> = { email: 254, first_name: 200, last_name: 200, title: 300, department: 200, manager_email: 254 };

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  matched: number;
  unmatched: number;
  unmatched_rows: Array<{ line: number; email: string; title: string | null; department: string | null; candidate: string | null; confidence: number }>;
  /** Existing members the import turned active or inactive, or tied to a SCIM user. */
  access_changed: number;
  /** Rows naming a person SCIM de-provisioned: kept inactive (their IdP decides, not the file). */
  deprovisioned: number;
  deprovisioned_rows: Array<{ line: number; email: string }>;
  mode: ImportMode;
  /** mode=replace: active CSV members the file no longer lists, now inactive. */
  deactivated: number;
  deactivated_members: Removed[];
  /** mode=replace: inactive CSV members the file no longer lists, now the file's to give back (csv-replace.ts keepOffUnlisted). */
  kept_off: number;
  kept_off_members: Removed[];
}

export type ImportMode = 'merge' | 'replace';

export interface ImportOptions {
  /** merge (the default) only adds and updates; replace also takes off CSV members the file leaves out (csv-replace.ts). */
  mode?: ImportMode;
  /** mode=replace: the most members it may take off; without it, csv-replace.ts's guard. */
  maxRemovals?: number;
}

export class ImportFailed extends ApiError {
  constructor(
    readonly errors: RowError[],
    readonly errorCount: number,
  ) {
    const first = errors[0]!;
    super(400, 'invalid_csv', `the CSV has ${errorCount} error(s); nothing was imported. First: line ${first.line}: ${first.message}`, first.field);
  }

  override toJSON() {
    const base = super.toJSON();
    return { error: { ...base.error, line: this.errors[0]!.line, errors: this.errors, error_count: this.errorCount } };
  }
}

function tooLarge(): ApiError {
  return new ApiError(413, 'payload_too_large', `the CSV is larger than ${CSV_MAX_BYTES} bytes; split it into smaller imports`, 'body');
}

/** Counts bytes as they arrive and stops the stream the moment the cap is passed. */
function byteCap(max: number, onProgress?: (bytes: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) return done(tooLarge());
      onProgress?.(seen);
      done(null, chunk);
    },
  });
}

const clean = (v: string | undefined): string | null => {
  const t = (v ?? '').trim();
  return t === '' ? null : t;
};

interface Spooled extends IncomingMember {
  line: number;
}

/** Phase 1: parses and validates the upload, spooling valid rows as JSON lines. */
async function validateAndSpool(input: Readable, declaredLength: number | undefined, charset: string | undefined, spool: Writable): Promise<number> {
  if (declaredLength !== undefined && declaredLength > CSV_MAX_BYTES) throw tooLarge();
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: false, trim: false });
  const capped = byteCap(CSV_MAX_BYTES);
  const decoded = decodeCsv(charset);
  input.on('error', (e) => capped.destroy(e));
  capped.on('error', (e) => decoded.destroy(e));
  decoded.on('error', (e) => parser.destroy(e));
  input.pipe(capped).pipe(decoded).pipe(parser);

  const errors: RowError[] = [];
  let errorCount = 0;
  const fail = (line: number, field: string, message: string) => {
    errorCount++;
    if (errors.length < MAX_REPORTED) errors.push({ line, field, message });
  };
  const seen = new Map<string, number>();
  let header: string[] | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        const nulAt = record.findIndex((h) => h.includes('\u0000'));
        if (nulAt >= 0) throw badRequest(`line 1: column ${nulAt + 1} of the header holds a NUL character (U+0000); the columns are ${COLUMNS.join(', ')}`, 'header', 'invalid_csv');
        header = record.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
        const unknown = header.find((h) => !COLUMNS.includes(h));
        if (unknown !== undefined) throw badRequest(`line 1: unknown column "${unknown}"; the columns are ${COLUMNS.join(', ')}`, unknown || 'header', 'invalid_csv');
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup) throw badRequest(`line 1: column "${dup}" appears twice`, dup, 'invalid_csv');
        const missing = REQUIRED.find((c) => !header!.includes(c));
        if (missing) throw badRequest(`line 1: the required column "${missing}" is missing; the columns are ${COLUMNS.join(', ')}`, missing, 'invalid_csv');
        continue;
      }
      rows++;
      if (rows > CSV_MAX_ROWS) throw new ApiError(413, 'payload_too_large', `the CSV has more than ${CSV_MAX_ROWS} rows; split it into smaller imports`, 'body');
      // PostgreSQL cannot store U+0000 in text: caught here, it is an error of its line and
      // column like any other, instead of a refusal of the whole body at write time.
      const nul = header.filter((_h, i) => record[i]?.includes('\u0000'));
      if (nul.length > 0) {
        for (const f of nul) fail(line, f, `${f} holds a NUL character (U+0000), which cannot be stored`);
        continue;
      }
      const v: Record<string, string | null> = {};
      header.forEach((h, i) => (v[h] = clean(record[i])));
      let ok = true;
      for (const [f, max] of Object.entries(LIMITS)) {
        if (v[f] && v[f]!.length > max) {
          fail(line, f, `${f} is longer than ${max} characters`);
          ok = false;
        }
      }
      const email = v.email?.toLowerCase() ?? null;
      if (!email) {
        fail(line, 'email', 'email is required');
        ok = false;
      } else if (!EMAIL.test(email)) {
        fail(line, 'email', 'email is not a valid address');
        ok = false;
      }
      const manager = v.manager_email?.toLowerCase() ?? null;
      if (manager && !EMAIL.test(manager)) {
        fail(line, 'manager_email', 'manager_email is not a valid address');
        ok = false;
      }
      if (email && ok) {
        const first = seen.get(email);
        if (first !== undefined) {
          fail(line, 'email', `duplicate row: ${email} already appears on line ${first}`);
          ok = false;
        } else seen.set(email, line);
      }
      // After the first error nothing more is spooled: the import is refused anyway.
      if (!ok || errorCount > 0) continue;
      const row: Spooled = { line, email: email!, first_name: v.first_name ?? null, last_name: v.last_name ?? null, title: v.title ?? null, department: v.department ?? null, manager_email: manager };
      if (!spool.write(JSON.stringify(row) + '\n')) await new Promise((r) => spool.once('drain', r));
    }
  } catch (err) {
    input.unpipe?.();
    if (err instanceof CsvDecodeError) throw new ImportFailed([{ line: err.line, field: 'body', message: err.message }], 1);
    if (err instanceof CsvError) {
      const lines = (err as CsvError & { lines?: number }).lines ?? 0;
      throw badRequest(`line ${lines}: the CSV cannot be parsed (${err.code.toLowerCase().replace(/^csv_/, '').replace(/_/g, ' ')})`, 'body', 'invalid_csv');
    }
    throw err;
  }
  if (!header) throw badRequest('the CSV is empty; the first line must name the columns', 'body', 'invalid_csv');
  if (errorCount > 0) throw new ImportFailed(errors, errorCount);
  if (rows === 0) throw badRequest('the CSV has a header but no rows', 'body', 'invalid_csv');
  return rows;
}

/** Phase 2: writes the spooled rows in batches; runs inside the caller's transaction. */
async function applySpool(file: string, rows: number, scope: TenantScope, audit: Audit, opts: ImportOptions): Promise<ImportReport> {
  const tally: UpsertTally = { created: 0, updated: 0, unchanged: 0, matched: 0, unmatched: 0 };
  const unmatchedRows: ImportReport['unmatched_rows'] = [];
  const deprovisionedRows: ImportReport['deprovisioned_rows'] = [];
  let accessChanged = 0;
  let deprovisionedCount = 0;
  const replace = opts.mode === 'replace';
  // Read under the roster lock, so no other import or sync changes them until this one commits.
  await lockRoster(scope);
  const before = replace ? await activeCsvMembers(scope) : 0;
  // Read once for the whole file (the departed users and those sharing an address with them), not once a batch.
  const gone = await departures(scope);
  const listed = new Set<string>();
  let batch: Spooled[] = [];
  const flush = async () => {
    const b = batch;
    batch = [];
    const results = await upsertMembers(scope, 'csv', b, audit, tally, { departures: gone });
    results.forEach((r, i) => {
      const m = b[i]!;
      if (r.access_changed) accessChanged++;
      if (r.deprovisioned) {
        deprovisionedCount++;
        if (deprovisionedRows.length < MAX_UNMATCHED_LISTED) deprovisionedRows.push({ line: m.line, email: m.email });
      }
      if (!r.archetype && unmatchedRows.length < MAX_UNMATCHED_LISTED) {
        unmatchedRows.push({ line: m.line, email: m.email, title: m.title, department: m.department, candidate: r.candidate, confidence: r.confidence });
      }
    });
  };
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const l of lines) {
    if (!l) continue;
    const row = JSON.parse(l) as Spooled;
    if (replace) listed.add(row.email);
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();
  const removed = replace ? await deactivateUnlisted(scope, listed, opts.maxRemovals ?? defaultMaxRemovals(before), before, opts.maxRemovals !== undefined) : [];
  const keptOff = replace ? await keepOffUnlisted(scope, listed) : [];
  return {
    rows,
    ...tally,
    unmatched_rows: unmatchedRows,
    access_changed: accessChanged,
    deprovisioned: deprovisionedCount,
    deprovisioned_rows: deprovisionedRows,
    mode: replace ? 'replace' : 'merge',
    deactivated: removed.length,
    deactivated_members: removed.slice(0, MAX_UNMATCHED_LISTED),
    kept_off: keptOff.length,
    kept_off_members: keptOff.slice(0, MAX_UNMATCHED_LISTED),
  };
}

/**
 * Validates the whole upload first, then calls `inTransaction` to write it; `write` is
 * handed the scope and audit of that transaction. `charset` is the Content-Type's, if any
 * (csv-decode.ts); without one the upload must be UTF-8.
 */
export async function importRosterCsv<T>(
  input: Readable,
  declaredLength: number | undefined,
  charset: string | undefined,
  inTransaction: (write: (scope: TenantScope, audit: Audit) => Promise<ImportReport>) => Promise<T>,
  opts: ImportOptions = {},
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'claresia-roster-'));
  const file = path.join(dir, 'rows.ndjson');
  try {
    const spool = createWriteStream(file, { mode: 0o600 });
    let rows: number;
    try {
      rows = await validateAndSpool(input, declaredLength, charset, spool);
    } finally {
      spool.end();
      await finished(spool).catch(() => undefined);
    }
    return await inTransaction((scope, audit) => applySpool(file, rows, scope, audit, opts));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
