// Writes provider/docs (registry layout) from the catalog; test/provider/docs.test.ts fails when they are stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDocs } from '../src/docs.js';

const docsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs');
const docs = renderDocs();
// Pages of resources that left the catalog must go too.
for (const sub of ['resources', 'data-sources']) {
  const dir = path.join(docsDir, sub);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (!docs.has(`${sub}/${f}`)) rmSync(path.join(dir, f));
}
for (const [rel, content] of docs) writeFileSync(path.join(docsDir, rel), content);
process.stderr.write(`wrote ${docs.size} pages to ${docsDir}\n`);
