/**
 * `npm run demo` from a clean checkout (a git clone of HEAD, with this tree's installed
 * node_modules linked in and our own workspaces linked to the clone's sources), run twice: the
 * first run starts the control plane, builds the provider and applies examples/mode-a; the
 * second reuses both and changes nothing. Then `npm run demo -- stop` ends the control plane.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../provider/support/terraform.js';

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );
}

/** Every installed package is shared with this tree, except our workspaces, which must be the clone's. */
function linkNodeModules(clone: string) {
  const from = path.join(repoRoot, 'node_modules');
  const to = path.join(clone, 'node_modules');
  mkdirSync(path.join(to, '@claresia'), { recursive: true });
  for (const entry of readdirSync(from)) if (entry !== '@claresia') symlinkSync(path.join(from, entry), path.join(to, entry));
  const workspaces = JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8')).workspaces as string[];
  for (const ws of workspaces) {
    const name = JSON.parse(readFileSync(path.join(clone, ws, 'package.json'), 'utf8')).name as string;
    symlinkSync(path.join('..', '..', ws), path.join(to, name));
  }
}

describe('npm run demo from a clean checkout', function () {
  this.timeout(600_000);
  let clone: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'claresia-demo-'));
    clone = path.join(parent, 'checkout');
    const c = await sh('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], parent);
    assert.equal(c.code, 0, c.stderr);
    linkNodeModules(clone);
    // DEMO_PORT 0: any free port, so the test can run beside a developer's own demo.
    env = { ...process.env, DEMO_PORT: '0', NO_COLOR: '1', HOME: parent };
    for (const k of ['CLARESIA_DEMO_DIR', 'DATABASE_URL', 'CLARESIA_ENDPOINT', 'CLARESIA_TOKEN', 'TF_CLI_CONFIG_FILE']) delete env[k];
  });

  after(async () => {
    if (!clone) return;
    await sh('npm', ['run', '--silent', 'demo', '--', 'stop'], clone, env);
    rmSync(path.dirname(clone), { recursive: true, force: true });
  });

  it('without terraform on PATH, says what it needs and starts nothing', async () => {
    const path_ = (env.PATH ?? '').split(path.delimiter).filter((d) => d && !existsSync(path.join(d, 'terraform')));
    // node and npm stay reachable: link them into a directory of their own.
    const bin = mkdtempSync(path.join(tmpdir(), 'claresia-demo-bin-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    try {
      const r = await sh(process.execPath, ['--conditions=source', '--import', 'tsx', 'scripts/demo.ts'], clone, { ...env, PATH: [bin, ...path_].join(path.delimiter) });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /terraform was not found on PATH; the demo needs Terraform 1\.11 or later/);
      assert.ok(!existsSync(path.join(clone, '.data/demo')), 'nothing was started');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  let first: string;
  it('brings everything up and applies examples/mode-a, printing the outputs and the health table', async () => {
    assert.ok(!existsSync(path.join(clone, 'provider/dist')), 'a clean checkout has no built provider');
    const r = await sh('npm', ['run', 'demo'], clone, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    first = r.stdout;
    assert.match(first, /started at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/);
    assert.match(first, /Apply complete! Resources: 9 added, 0 changed, 0 destroyed\./);
    assert.match(first, /^tenant_id\s+tnt_[0-9a-f]+$/m);
    assert.match(first, /^acs_url\s+http:\/\/127\.0\.0\.1:\d+\/api\/v1\/identity\/sso\/connections\/sso_\w+\/saml\/acs$/m);
    assert.match(first, /^scim_bearer_token\s+<sensitive>$/m);
    assert.match(first, /^CHECK\s+STATUS\s+REASON\s+ACTION$/m);
    assert.match(first, /^hub\s+GREEN\s+Mode A Hub ready/m);
    assert.match(first, /^roster\s+RED\s+the roster is empty/m);
    assert.match(first, /^overall: RED\s+onboarding \[[#-]{20}\] \d+\/10$/m);
    assert.match(first, /The control plane keeps running at/);
    assert.ok(existsSync(path.join(clone, '.data/demo/control-plane/operator-token')), 'the embedded database and its secrets live in .data/demo');
    assert.equal((await sh('git', ['status', '--porcelain', '--untracked-files=all', '--', 'examples', 'modules'], clone)).stdout, '', 'nothing was written into the checkout\'s sources');
  });

  it('a second run reuses the control plane and the state, and changes nothing', async () => {
    const r = await sh('npm', ['run', 'demo'], clone, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const pid = /\(pid (\d+)\)/.exec(first)![1];
    assert.match(r.stdout, new RegExp(`reusing the one already running at http://127\\.0\\.0\\.1:\\d+ \\(pid ${pid}\\)`));
    assert.match(r.stdout, /No changes\. Your infrastructure matches the configuration\./);
    assert.match(r.stdout, /Apply complete! Resources: 0 added, 0 changed, 0 destroyed\./);
    const tenant = (s: string) => /^tenant_id\s+(\S+)$/m.exec(s)![1];
    assert.equal(tenant(r.stdout), tenant(first));
    assert.match(r.stdout, /^hub\s+GREEN/m);
  });

  it('npm run demo -- stop ends the control plane', async () => {
    const pid = Number(/\(pid (\d+)\)/.exec(first)![1]);
    const r = await sh('npm', ['run', '--silent', 'demo', '--', 'stop'], clone, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`stopped the demo control plane \\(pid ${pid},`));
    assert.throws(() => process.kill(pid, 0), 'the process is gone');
  });
});
