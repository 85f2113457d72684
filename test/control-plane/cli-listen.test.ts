import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds, freshDatabase, type TestDatabase } from '../support/db.js';

function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env: { PATH: process.env.PATH!, LOG_LEVEL: 'warn', ...env } });
    let stderr = '';
    p.stderr.on('data', (c) => (stderr += c));
    // A serve that did come up is a failure of the test, not something to wait out.
    p.stderr.on('data', () => /listening on/.test(stderr) && p.kill('SIGTERM'));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const kind of dbKinds()) {
  describe(`claresia-control-plane serve: a listen address that cannot be used names HOST or PORT (review r4 F5) [${kind}]`, function () {
    this.timeout(120_000);
    let dir: string;
    let pg: TestDatabase | undefined;
    let env: Record<string, string>;
    let busy: Server;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-listen-'));
      if (kind === 'pg') {
        pg = await freshDatabase('pg');
        env = { DATABASE_URL: pg.url!, CLARESIA_OPERATOR_TOKEN: 'op_cli_listen_0123456789', CLARESIA_MASTER_KEY: Buffer.alloc(32, 5).toString('base64') };
      } else {
        env = { CLARESIA_DATA_DIR: path.join(dir, 'data') };
      }
      busy = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    });
    after(async () => {
      await new Promise((r) => busy.close(r));
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('HOST that does not resolve', async () => {
      const r = await serve({ ...env, HOST: 'nonexistent.invalid', PORT: '0' });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^error: HOST nonexistent\.invalid cannot be resolved \((ENOTFOUND|EAI_AGAIN)\)$/m);
    });

    it('PORT another process listens on', async () => {
      const port = (busy.address() as { port: number }).port;
      const r = await serve({ ...env, HOST: '127.0.0.1', PORT: String(port) });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: PORT ${port} is already in use on HOST 127\\.0\\.0\\.1$`, 'm'));
    });
  });
}
