// `npm run cdktf:generate -w @claresia/terraform-provider [-- <dir>]`: builds the provider, reads
// its schema through terraform and writes the CDKTF bindings to provider/cdktf (or <dir>).
// test/provider/cdktf-bindings.test.ts fails when the committed bindings are stale.
import path from 'node:path';
import { loadGenerator, renderBindings, writeBindings } from './cdktf/generate.js';
import { providerDir, readProviderSchema } from './cdktf/schema.js';

const outDir = path.resolve(process.argv[2] ?? path.join(providerDir, 'cdktf'));
// The generator takes a second or two to load: let it load while terraform reads the schema.
const [schema] = await Promise.all([readProviderSchema(), loadGenerator()]);
const files = await renderBindings(schema);
writeBindings(outDir, files);
process.stderr.write(`wrote ${files.size} files to ${path.join(outDir, 'providers')}\n`);
