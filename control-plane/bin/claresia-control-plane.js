#!/usr/bin/env node
// The control plane runs from its TypeScript sources: re-exec node with the tsx loader and
// the `source` export condition (workspace packages resolve to their src/), forwarding signals
// so `serve` shuts down cleanly.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
// `--import tsx` would be resolved from the working directory: resolved here, it is the tsx this
// package depends on, wherever the command is run from.
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
