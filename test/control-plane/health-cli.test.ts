import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', ...args], {
      env: { PATH: process.env.PATH!, ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('control-plane CLI: health and roster-import', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    cp = await startControlPlane();
    t = await cp.createTenant();
    dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-'));
    env = { CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret };
  });
  after(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a roster file with a progress bar and reports the unmatched rows', async () => {
    const lines = ['email,first_name,last_name,title,department'];
    for (let i = 0; i < 3000; i++) lines.push(`u${i}@acme.example,U,${i},${i === 7 ? 'Astronaut' : 'Account Executive'},`);
    const file = path.join(dir, 'roster.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await cli(['roster-import', file, '--url', cp.url], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /importing \[#{30}\] 100%/);
    assert.match(r.stdout, /3000 rows: 3000 created, 0 updated, 0 unchanged; 2999 matched, 1 unmatched/);
    assert.match(r.stdout, /unmatched line 9: u7@acme.example \(Astronaut\)/);
    assert.equal(await cp.count('roster_members', { tenant_id: t.id }), 3000);
  });

  it('names the bad lines of a refused file and exits non-zero', async () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'email,first_name,last_name,title\nok@acme.example,A,B,SWE\nbroken,A,B,SWE\n');
    const r = await cli(['roster-import', file, '--url', cp.url], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 3\s+email: email is not a valid address/);
  });

  it('prints tenant health as a coloured table and exits 1 while red', async () => {
    const r = await cli(['health', '--url', cp.url], { ...env, FORCE_COLOR: '1' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /CHECK\s+STATUS\s+REASON\s+ACTION/);
    for (const name of ['identity', 'distribution', 'hub', 'roster', 'skills', 'telemetry', 'audit']) assert.match(r.stdout, new RegExp(`^(\\x1b\\[[0-9;]*m)?${name}\\s`, 'm'));
    assert.match(r.stdout, /\x1b\[31mRED/, 'red is red');
    assert.match(r.stdout, /onboarding \[#*-*\] \d+\/10/);
    const plain = await cli(['health', '--url', cp.url], { ...env, NO_COLOR: '1' });
    assert.ok(!plain.stdout.includes('\x1b['), 'NO_COLOR is honoured');
    const json = await cli(['health', '--url', cp.url, '--json'], env);
    assert.equal(JSON.parse(json.stdout).overall, 'red');
    const noCreds = await cli(['health', '--url', cp.url], {});
    assert.equal(noCreds.code, 2, 'no credentials: the check did not run (review r4 F6)');
    assert.match(noCreds.stderr, /set CLARESIA_TOKEN/);
  });
});
