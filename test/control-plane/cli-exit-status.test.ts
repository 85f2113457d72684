import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { cli } from '../support/cli.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';


/** A loopback port nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

for (const kind of dbKinds()) {
  describe(`health and roster-import CLI: 1 is the verdict, 2 means it did not run (review r4 F6) [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let dir: string;
    let file: string;
    let creds: Record<string, string>;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      creds = { CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret };
      dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-exit-'));
      file = path.join(dir, 'roster.csv');
      writeFileSync(file, 'email,first_name,last_name,title\nada@acme.example,Ada,L,SWE\n');
    });
    after(async () => {
      await cp?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a server that cannot be reached is named with the cause, exit 2', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      for (const args of [['health', '--url', url], ['roster-import', file, '--url', url]]) {
        const viaToken = await cli(args, { CLARESIA_TOKEN: 'x' });
        assert.equal(viaToken.code, 2, viaToken.stderr);
        assert.equal(viaToken.stderr, `error: cannot reach ${url} (ECONNREFUSED)\n`, args[0]);
        const viaSignIn = await cli(args, creds);
        assert.equal(viaSignIn.code, 2, viaSignIn.stderr);
        assert.equal(viaSignIn.stderr, `error: cannot reach ${url} (ECONNREFUSED)\n`, args[0]);
      }
      const fromEnv = await cli(['health'], { CLARESIA_TOKEN: 'x', CLARESIA_URL: `${url}/` });
      assert.equal(fromEnv.stderr, `error: cannot reach ${url} (ECONNREFUSED)\n`);
    });

    it('no credentials, refused credentials or a token the API refuses: exit 2, not the verdict 1', async () => {
      for (const cmd of [['health'], ['roster-import', file]]) {
        const none = await cli([...cmd, '--url', cp.url], {});
        assert.equal(none.code, 2, none.stderr);
        assert.match(none.stderr, /set CLARESIA_TOKEN/);
        const badSecret = await cli([...cmd, '--url', cp.url], { ...creds, CLARESIA_CLIENT_SECRET: 'wrong' });
        assert.equal(badSecret.code, 2, badSecret.stderr);
        assert.match(badSecret.stderr, /sign-in failed \(401\)/);
        const badToken = await cli([...cmd, '--url', cp.url], { CLARESIA_TOKEN: 'not-a-token' });
        assert.equal(badToken.code, 2, badToken.stderr);
        assert.match(badToken.stderr, /^error: 401: /m);
      }
      const operator = await cli(['health', '--url', cp.url], { CLARESIA_TOKEN: cp.operatorToken });
      assert.equal(operator.code, 2, operator.stderr);
      assert.match(operator.stderr, /^error: 403: /);
      assert.equal(await cp.count('roster_members', { tenant_id: t.id }), 0, 'nothing was imported');
    });

    it('a --url or CLARESIA_URL that is not an http(s) URL is named, exit 2', async () => {
      const flagged = await cli(['health', '--url', 'cp.example.com'], creds);
      assert.equal(flagged.code, 2);
      assert.match(flagged.stderr, /^error: --url must be an http\(s\) URL .*got "cp\.example\.com"/);
      const env = await cli(['roster-import', file], { ...creds, CLARESIA_URL: 'ftp://cp.example.com' });
      assert.equal(env.code, 2);
      assert.match(env.stderr, /^error: CLARESIA_URL must be an http\(s\) URL/);
    });

    it('the verdicts keep their status: health red is 1, a refused roster file is 1, an import is 0; --url=URL is --url URL', async () => {
      const red = await cli(['health', `--url=${cp.url}`, '--json'], creds);
      assert.equal(red.code, 1, red.stderr);
      assert.equal(JSON.parse(red.stdout).overall, 'red');
      const bad = path.join(dir, 'bad.csv');
      writeFileSync(bad, 'email,first_name,last_name,title\nbroken,A,B,SWE\n');
      const refused = await cli(['roster-import', bad, `--url=${cp.url}`], creds);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /line 2\s+email: email is not a valid address/);
      const ok = await cli(['roster-import', `--url=${cp.url}`, file], creds);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /1 rows: 1 created/);
    });
  });
}
