// `npm run mirror -w @claresia/terraform-provider -- <dir>`: lays out a Terraform filesystem
// mirror in <dir> whose provider runs this checkout's build (run `npm run build` first), and
// prints the CLI configuration that uses it. `terraform init` then installs from the mirror.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const providerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function writeMirror(mirrorDir, { node = process.execPath } = {}) {
  const { version } = JSON.parse(readFileSync(path.join(providerDir, 'package.json'), 'utf8'));
  const os = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform] ?? process.platform;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;
  const pkgDir = path.join(mirrorDir, 'registry.terraform.io/claresia/claresia', version, `${os}_${arch}`);
  mkdirSync(pkgDir, { recursive: true });
  const exe = path.join(pkgDir, `terraform-provider-claresia_v${version}`);
  writeFileSync(exe, `#!/bin/sh\nexec "${node}" "${path.join(providerDir, 'bin/launch.cjs')}" "$@"\n`);
  chmodSync(exe, 0o755);
  const cliConfig = `provider_installation {\n  filesystem_mirror {\n    path    = "${path.resolve(mirrorDir)}"\n    include = ["registry.terraform.io/claresia/claresia"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/claresia/claresia"]\n  }\n}\n`;
  return { version, executable: exe, cliConfig };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: mirror.mjs <mirror directory>\n');
    process.exit(2);
  }
  if (!existsSync(path.join(providerDir, 'dist/provider.cjs'))) process.stderr.write('warning: provider/dist is missing; run npm run build first\n');
  const { cliConfig } = writeMirror(dir);
  process.stdout.write(`# Point TF_CLI_CONFIG_FILE at a file holding:\n${cliConfig}`);
}
