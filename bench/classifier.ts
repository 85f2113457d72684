// cc-061 on the labelled titles (test/fixtures/titles.csv): accuracy on matched rows, the
// unmatched rate, per-archetype figures and throughput; then a 50,000-row CSV roster import
// through the API on both databases, with the server's peak memory growth while it streams.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { classify, CLASSIFIER_ID, THRESHOLD } from '../control-plane/src/roster/classifier.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { dbKinds, type DbKind } from '../test/support/db.js';

// A collector to call while sampling, so the figure is memory still referenced, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const here = path.dirname(fileURLToPath(import.meta.url));

export interface LabelledTitle {
  title: string;
  department: string;
  archetype: string;
}

/** `titles.csv` is the generated labelled set; `titles-holdout.csv` was written by hand and never tuned on. */
export function loadTitles(file = 'titles.csv'): LabelledTitle[] {
  return parse(readFileSync(path.join(here, '..', 'test', 'fixtures', file)), { columns: true, skip_empty_lines: true }) as LabelledTitle[];
}

export function measureClassifier(rows: LabelledTitle[]) {
  let matched = 0;
  let correct = 0;
  const mistakes: Array<{ title: string; department: string; expected: string; got: string | null; confidence: number }> = [];
  const per: Record<string, { n: number; matched: number; correct: number }> = {};
  for (const r of rows) {
    const c = classify(r.title, r.department || null);
    const p = (per[r.archetype] ??= { n: 0, matched: 0, correct: 0 });
    p.n++;
    if (c.archetype) {
      matched++;
      p.matched++;
      if (c.archetype === r.archetype) {
        correct++;
        p.correct++;
      }
    }
    if (c.archetype !== r.archetype) mistakes.push({ title: r.title, department: r.department, expected: r.archetype, got: c.archetype, confidence: c.confidence });
  }
  return {
    rows: rows.length,
    accuracy_on_matched: correct / matched,
    unmatched_rate: (rows.length - matched) / rows.length,
    per_archetype: Object.fromEntries(
      Object.entries(per).map(([a, p]) => [a, { rows: p.n, accuracy_on_matched: p.matched ? p.correct / p.matched : 0, unmatched_rate: (p.n - p.matched) / p.n }]),
    ),
    mistakes,
  };
}

/**
 * Streams a generated roster of `rows` people (titles cycled from the labelled set) to
 * POST /api/v1/roster/csv and samples this process's heap while the server imports it. The
 * CSV is produced lazily, so the heap growth measured is the server's working set.
 */
async function importRoster(kind: DbKind, rows: number, titles: LabelledTitle[]) {
  const cp = await startControlPlane({ db: kind });
  try {
    const t = await cp.createTenant();
    let i = 0;
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i === 0) c.enqueue(enc.encode('email,first_name,last_name,title,department,manager_email\n'));
        if (i >= rows) return c.close();
        let chunk = '';
        for (let k = 0; k < 200 && i < rows; k++, i++) {
          const x = titles[i % titles.length]!;
          const q = (v: string) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
          chunk += `person${i}@bench.example,First${i},Last${i},${q(x.title)},${q(x.department)},${i > 0 ? `person${i - 1}@bench.example` : ''}\n`;
        }
        c.enqueue(enc.encode(chunk));
      },
    });
    gc();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 250);
    const t0 = performance.now();
    const res = await fetch(`${cp.url}/api/v1/roster/csv`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    const report = (await res.json()) as { rows: number; unmatched: number; error?: unknown };
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    if (res.status !== 200) throw new Error(`import ${res.status}: ${JSON.stringify(report)}`);
    const events = await cp.count('governance_events', { tenant_id: t.id, type: 'rbac.archetype_assigned' });
    return {
      rows: report.rows,
      seconds,
      rows_per_second: report.rows / seconds,
      unmatched: report.unmatched,
      archetype_events: events,
      // Live JS heap after a collection, sampled every 250 ms while the server imports.
      peak_live_heap_growth_mb: (peakHeap - base.heapUsed) / 1024 / 1024,
      // Includes the embedded database's own pages when kind is pglite.
      peak_rss_growth_mb: (peakRss - base.rss) / 1024 / 1024,
    };
  } finally {
    await cp.close();
  }
}

/** 5,000 and 50,000 rows on each database: if the import streams, heap growth does not scale with rows. */
async function csvImports(titles: LabelledTitle[]) {
  const sizes = (process.env.BENCH_ROSTER_ROWS ?? '5000,50000').split(',').map(Number);
  const out: Record<string, unknown> = {};
  for (const kind of dbKinds()) {
    const byKind: Record<string, Awaited<ReturnType<typeof importRoster>>> = {};
    for (const n of sizes) byKind[`rows_${n}`] = await importRoster(kind, n, titles);
    const small = byKind[`rows_${sizes[0]}`]!;
    const large = byKind[`rows_${sizes[sizes.length - 1]}`]!;
    out[kind] = { ...byKind, live_heap_growth_ratio_large_to_small: large.peak_live_heap_growth_mb / Math.max(small.peak_live_heap_growth_mb, 0.001), rows_ratio: large.rows / small.rows };
  }
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const rows = loadTitles();
  const m = measureClassifier(rows);
  const holdout = measureClassifier(loadTitles('titles-holdout.csv'));
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1000) {
    for (const r of rows) classify(r.title, r.department || null);
    n += rows.length;
  }
  const perSecond = n / ((performance.now() - t0) / 1000);
  return {
    classifier: CLASSIFIER_ID,
    threshold: THRESHOLD,
    labelled_rows: m.rows,
    accuracy_on_matched: m.accuracy_on_matched,
    unmatched_rate: m.unmatched_rate,
    wrong_when_matched: m.mistakes.filter((x) => x.got !== null).length,
    titles_per_second: perSecond,
    holdout: { rows: holdout.rows, accuracy_on_matched: holdout.accuracy_on_matched, unmatched_rate: holdout.unmatched_rate },
    per_archetype: m.per_archetype,
    csv_import: await csvImports(rows),
  };
}
