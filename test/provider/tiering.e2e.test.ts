/**
 * The provider turns V8's optimizing compiler off while it answers calls (src/plugin/tiering.ts).
 * That flag change must not cost what it saves: no Node builtin may be compiled after it (it
 * would miss Node's code cache), and the provider's own cache must stay valid (V8 stamps the
 * flags into a cache it writes and rejects one written under others).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, providerDir, repoRoot, workspace } from './support/terraform.js';

interface LaunchRecord {
  flags: string[];
  /** Node builtins (and bindings) loaded after the first flag change. */
  after: string[];
}

/** A node for CLARESIA_NODE that notes, per launch, the V8 flag changes and what loaded after. */
function recordingNode(dir: string): { node: string; launches: () => LaunchRecord[] } {
  const out = path.join(dir, 'launches.jsonl');
  const preload = path.join(dir, 'record.cjs');
  writeFileSync(
    preload,
    `const v8 = require('node:v8'), fs = require('node:fs');
const set = v8.setFlagsFromString;
const flags = [];
let at = -1;
v8.setFlagsFromString = (f) => { if (at < 0) at = process.moduleLoadList.length; flags.push(f); return set.call(v8, f); };
process.on('exit', () => fs.appendFileSync(${JSON.stringify(out)}, JSON.stringify({ flags, after: at < 0 ? [] : process.moduleLoadList.slice(at) }) + '\\n'));
`,
  );
  const node = path.join(dir, 'node.sh');
  writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' -r '${preload}' "$@"\n`);
  chmodSync(node, 0o755);
  return {
    node,
    launches: () =>
      readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LaunchRecord),
  };
}

describe('provider tiering switch', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let dir: string;

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    dir = mkdtempSync(path.join(tmpdir(), 'claresia-tiering-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await cp?.close();
  });

  it('switches after every builtin the calls need is loaded, and restores the flags before exit', async () => {
    const rec = recordingNode(dir);
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, CLARESIA_NODE: rec.node } });
    const dist = path.join(providerDir, 'dist');
    const cache = () => readdirSync(dist).find((f) => f.endsWith('.cache'))!;
    const shipped = cache();
    const shippedAt = statSync(path.join(dist, shipped)).mtimeMs;
    try {
      const tenant = (name: string) =>
        `${providerBlock}resource "claresia_tenant" "t" {\n  slug = "tiering-e2e"\n  display_name = "${name}"\n  region = "eu-west-1"\n  deployment_mode = "A"\n  billing_contact = "b@tiering.example"\n}\n`;
      // Create, refresh and plan, update, destroy: the API client's requests of every kind.
      ws.write('main.tf', tenant('Tiering'));
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      ws.write('main.tf', tenant('Tiering renamed'));
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
    const launches = rec.launches();
    assert.ok(launches.length >= 8, `${launches.length} launches recorded`);
    for (const l of launches) {
      assert.deepEqual(l.flags, ['--no-turbofan', '--turbofan']);
      assert.deepEqual(
        l.after.filter((m) => m.startsWith('NativeModule')),
        [],
        'builtins compiled under the changed flags',
      );
    }
    // Accepted at every start: a rejected cache is rewritten when the launch exits.
    assert.equal(cache(), shipped);
    assert.equal(statSync(path.join(dist, shipped)).mtimeMs, shippedAt);
  });

  it('leaves tiering flags given on the command line alone', () => {
    const probe = `const v8 = require('node:v8'); const calls = []; const set = v8.setFlagsFromString;
      v8.setFlagsFromString = (f) => { calls.push(f); return set.call(v8, f); };
      import(${JSON.stringify(path.join(providerDir, 'src/plugin/tiering.ts'))}).then((m) => { m.skipOptimizingCompiler(); m.skipOptimizingCompiler(); process.stdout.write(JSON.stringify(calls)); });`;
    const run = (args: string[]) => JSON.parse(String(execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', ...args, '-e', probe], { cwd: repoRoot }))) as string[];
    assert.deepEqual(run([]), ['--no-turbofan']);
    assert.deepEqual(run(['--turbofan']), []);
    assert.deepEqual(run(['--max-opt=3']), []);
  });
});
