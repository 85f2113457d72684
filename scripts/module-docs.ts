/**
 * `npm run docs:module`: regenerates the inputs and outputs tables of
 * modules/terraform-claresia-tenant/README.md from its variables.tf, variables-catalog.tf (generated
 * from the catalog by `npm run variables:module`) and outputs.tf.
 * `-- --check` only reports whether the README is current (exit status 1 when stale).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTables, withTables } from './module-docs/render.js';

export const moduleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../modules/terraform-claresia-tenant');

export function expectedReadme(dir = moduleDir): string {
  return withTables(readFileSync(path.join(dir, 'README.md'), 'utf8'), renderTables(dir));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = path.join(moduleDir, 'README.md');
  const want = expectedReadme();
  if (process.argv.includes('--check')) {
    const stale = readFileSync(file, 'utf8') !== want;
    process.stdout.write(stale ? `${file} is stale; run npm run docs:module\n` : `${file} is current\n`);
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(file, want);
    process.stdout.write(`wrote ${file}\n`);
  }
}
