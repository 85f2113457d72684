// `npm run bench`: runs every bench/<area>.ts (each exports `run()` returning its figures),
// writes bench/results/latest.json (and a timestamped copy) and prints one table.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

function flatten(prefix: string, v: unknown, out: Array<[string, string]>) {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  } else out.push([prefix, typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : JSON.stringify(v)]);
}

const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, '')))
  .sort();
const results: Record<string, unknown> = { started_at: new Date().toISOString(), node: process.version };
for (const f of files) {
  const area = f.replace(/\.ts$/, '');
  process.stderr.write(`bench ${area} ...\n`);
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { run(): Promise<Record<string, unknown>> };
  try {
    results[area] = await mod.run();
  } catch (err) {
    results[area] = { error: (err as Error).message };
    process.exitCode = 1;
  }
}
const dir = path.join(here, 'results');
mkdirSync(dir, { recursive: true });
const json = JSON.stringify(results, null, 2);
writeFileSync(path.join(dir, 'latest.json'), json);
writeFileSync(path.join(dir, `${results.started_at as string}.json`.replace(/:/g, '-')), json);
const rows: Array<[string, string]> = [];
flatten('', results, rows);
const w = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
process.exit();
