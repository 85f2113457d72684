// `npm run build -w @claresia/terraform-provider`: bundles the provider into dist/provider.cjs
// (one CommonJS file; the API layer is initialised lazily, after the handshake) and warms the
// V8 code cache that bin/launch.cjs loads it with. Terraform runs bin/terraform-provider-claresia.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// Others may be running the provider from dist/ while this builds (tests in a shared tree):
// replace files by rename, never leave dist/ empty.
const dist = `${here}dist`;
mkdirSync(dist, { recursive: true });
const result = await build({
  entryPoints: ['src/main.ts'],
  absWorkingDir: here,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/provider.cjs',
  write: false,
  conditions: ['source'],
  // grpc-js needs proto-loader (and protobufjs, ~140 KB minified) only for channelz and ORCA
  // metrics, neither of which the provider turns on; left out, every launch reads and
  // deserialises a quarter less.
  external: ['@grpc/proto-loader'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const tmp = `${dist}/provider.cjs.tmp-${process.pid}`;
writeFileSync(tmp, result.outputFiles[0].contents);
renameSync(tmp, `${dist}/provider.cjs`);
// Caches of earlier bundles are keyed by their size and time; drop them.
const stamp = statSync(`${dist}/provider.cjs`);
for (const f of readdirSync(dist)) {
  if (f.endsWith('.cache') && !f.startsWith(`provider.cjs.${stamp.size}-${Math.floor(stamp.mtimeMs)}.`)) rmSync(`${dist}/${f}`, { force: true });
}

// One launch writes the code cache (plaintext gRPC, no client certificate: nothing connects).
await new Promise((resolve, reject) => {
  const p = spawn(process.execPath, [`${here}bin/launch.cjs`], {
    env: { ...process.env, PLUGIN_CLIENT_CERT: '', TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  p.stdout.once('data', () => setTimeout(() => p.kill('SIGTERM'), 300));
  p.on('exit', resolve);
  p.on('error', reject);
});
