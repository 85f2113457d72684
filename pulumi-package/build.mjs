// `npm run build -w @claresia/pulumi`: bundles the provider plugin (dist/provider.js) and the
// SDK (dist/index.js), and writes the SDK's declarations (dist/types) for programs that install
// the package, which resolve it without the `source` condition. The workspace packages are bundled from source; Pulumi, gRPC and
// protobuf stay external (the generated protobuf code expects to share one copy with them).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';

const external = ['@pulumi/pulumi', '@pulumi/pulumi/*', '@grpc/grpc-js', 'google-protobuf', 'google-protobuf/*', 'ajv', 'ajv/*', 'ajv-formats'];
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { provider: 'src/provider/main.ts', index: 'src/index.ts' },
  absWorkingDir: new URL('.', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outdir: 'dist',
  conditions: ['source'],
  external,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// The SDK imports only @pulumi/pulumi and its own files, so its declarations stand alone.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { cwd: new URL('.', import.meta.url).pathname, stdio: 'inherit' });
