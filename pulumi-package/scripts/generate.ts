// `npm run generate -w @claresia/pulumi`: rewrites schema.json and src/sdk/ from the catalog.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { generatedFiles } from '../src/codegen/generate.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const files = generatedFiles();
for (const [rel, text] of files) writeFileSync(path.join(root, rel), text);
// A resource removed from the catalog loses its SDK file too.
for (const f of readdirSync(path.join(root, 'src/sdk'))) {
  if (!files.has(`src/sdk/${f}`)) rmSync(path.join(root, 'src/sdk', f));
}
console.log(`wrote ${files.size} files`);
