// `npm run cdktf:generate -w @claresia/terraform-provider [-- <dir>]`: builds the provider, reads
// its schema through terraform and writes the CDKTF bindings to provider/cdktf (or <dir>).
// test/provider/cdktf-bindings.test.ts fails when the committed bindings are stale.
import path from 'node:path';
import { renderBindings, writeBindings } from './cdktf/generate.js';
import { providerDir, readProviderSchema } from './cdktf/schema.js';

const outDir = path.resolve(process.argv[2] ?? path.join(providerDir, 'cdktf'));
const files = await renderBindings(await readProviderSchema());
writeBindings(outDir, files);
process.stderr.write(`wrote ${files.size} files to ${path.join(outDir, 'providers')}\n`);
