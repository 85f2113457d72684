// `npm run build -w @claresia/terraform-provider`: bundles the provider into dist/ (ESM, code
// split so the API layer loads after the handshake). Terraform runs bin/terraform-provider-claresia.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/main.ts' },
  absWorkingDir: new URL('.', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  conditions: ['source'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // Bundled CommonJS dependencies (grpc-js) call require() for Node built-ins.
  banner: { js: "import{createRequire as __claresiaRequire}from'node:module';const require=__claresiaRequire(import.meta.url);" },
  logLevel: 'warning',
});
