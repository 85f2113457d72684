// `npm run build -w @claresia/terraform-provider`: bundles the provider into dist/provider.cjs
// (one CommonJS file; the API layer is initialised lazily, after the handshake) and warms the
// V8 code cache that bin/launch.cjs loads it with. Terraform runs bin/terraform-provider-claresia.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

// One launch writes the code cache, at its exit: a client bundled from src/warm-code-cache.ts
// plays a whole Terraform session against it first, so the cache holds the bytecode of the
// calls too, not only of start-up.
const warm = await build({
  entryPoints: ['src/warm-code-cache.ts'],
  absWorkingDir: here,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  write: false,
  conditions: ['source'],
  external: ['@grpc/proto-loader'],
  logLevel: 'warning',
});
const warmer = path.join(tmpdir(), `claresia-warm-code-cache-${process.pid}.cjs`);
writeFileSync(warmer, warm.outputFiles[0].contents);
try {
  await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [warmer, `${here}bin/launch.cjs`], { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`warming the code cache exited ${code}`))));
    p.on('error', reject);
  });
} finally {
  rmSync(warmer, { force: true });
}
