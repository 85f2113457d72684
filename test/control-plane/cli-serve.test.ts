import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { http } from '../support/http.js';

/** `claresia-control-plane serve` as a new user runs it: no DATABASE_URL, no secrets set. */
function serve(dataDir: string): Promise<{ proc: ChildProcess; url: string; stderr: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CLARESIA_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.CLARESIA_OPERATOR_TOKEN;
  delete env.CLARESIA_MASTER_KEY;
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) resolve({ proc, url: m[1]!, stderr: () => err });
    });
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function stop(proc: ChildProcess) {
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}

describe('claresia-control-plane serve on the embedded database', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-serve-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with no configuration, says how to get a token, and keeps data across restarts', async () => {
    const first = await serve(dir);
    assert.match(first.stderr(), /operator token is in .*operator-token/);
    assert.match(first.stderr(), /auth\/token/);
    const op = readFileSync(path.join(dir, 'operator-token'), 'utf8').trim();
    const created = await http(first.url, 'POST', '/api/v1/tenants', {
      token: op,
      body: { slug: 'persist', display_name: 'Persist', region: 'us-east-1', deployment_mode: 'A', billing_contact: 'b@persist.example' },
    });
    assert.equal(created.status, 201);
    await stop(first.proc);

    const second = await serve(dir);
    try {
      const read = await http(second.url, 'GET', `/api/v1/tenants/${created.body.id}`, { token: op });
      assert.equal(read.status, 200);
      const login = await http(second.url, 'POST', '/api/v1/auth/token', {
        body: { grant_type: 'client_credentials', client_id: created.body.client_id, client_secret: created.body.client_secret },
      });
      assert.equal(login.status, 200, 'keys and secrets survive the restart');
      const verify = await http(second.url, 'GET', '/api/v1/hub/governance-events:verify', { token: login.body.access_token });
      assert.equal(verify.body.ok, true);
    } finally {
      await stop(second.proc);
    }
  });

  it('refuses to start on PostgreSQL without the shared secrets, naming them', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    delete env.CLARESIA_OPERATOR_TOKEN;
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CLARESIA_OPERATOR_TOKEN is required/);
  });
});

describe('claresia-control-plane, the installed command', function () {
  this.timeout(60_000);

  it('runs from any directory: its TypeScript loader is the one it depends on, not one found from the working directory', async () => {
    const bin = path.resolve('control-plane/bin/claresia-control-plane.js');
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'claresia-cwd-'));
    try {
      const proc = spawn(process.execPath, [bin, '--help'], { cwd: elsewhere });
      let out = '';
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      const code = await new Promise((r) => proc.once('exit', r));
      assert.equal(code, 0, out);
      assert.match(out, /usage: claresia-control-plane <command>/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
