import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { cli } from '../support/cli.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { makeDirectory, scim, user } from './scim/helpers.js';


const csv = (names: string[]) => `email,first_name,last_name,title\n${names.map((n) => `${n}@acme.example,${n},Example,Engineer`).join('\n')}\n`;

for (const kind of dbKinds()) {
  describe(`roster-import CLI: --replace and --max-removals [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let dir: string;
    let env: Record<string, string>;
    const file = (name: string, names: string[]) => {
      const f = path.join(dir, name);
      writeFileSync(f, csv(names));
      return f;
    };
    const active = async () => ((await cp.db('roster_members').where({ tenant_id: t.id, active: true }).orderBy('email').pluck('email')) as string[]).map((e) => e.split('@')[0]);

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-replace-'));
      env = { CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret };
    });
    after(async () => {
      await cp?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('--replace turns inactive the CSV members the file leaves out, and says who', async () => {
      const all = ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal'];
      assert.equal((await cli(['roster-import', file('all.csv', all), '--url', cp.url], env)).code, 0);
      const r = await cli(['roster-import', file('most.csv', all.filter((n) => n !== 'hal')), '--url', cp.url, '--replace'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /1 members not in the file turned inactive: hal@acme\.example/);
      assert.deepEqual(await active(), ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus']);
    });

    it('a short file is refused with the way out, and --max-removals takes it', async () => {
      const short = file('short.csv', ['ada']);
      const refused = await cli(['roster-import', short, '--url', cp.url, '--replace'], env);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /would take 6 members off the roster/);
      assert.match(refused.stderr, /hint\s+if .*short\.csv really is the whole roster, run again with --max-removals N/);
      assert.equal((await active()).length, 7, 'nothing written');
      const taken = await cli(['roster-import', short, '--url', cp.url, '--replace', '--max-removals', '6'], env);
      assert.equal(taken.code, 0, taken.stderr);
      assert.match(taken.stdout, /6 members not in the file turned inactive/);
      assert.deepEqual(await active(), ['ada']);
    });

    it('--max-removals without --replace, or not a number, is a usage error that sends nothing', async () => {
      const f = file('one.csv', ['zed']);
      for (const args of [['--max-removals', '3'], ['--replace', '--max-removals', 'lots']]) {
        const r = await cli(['roster-import', f, '--url', cp.url, ...args], env);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /--max-removals (only applies with --replace|must be a whole number)/);
      }
      assert.equal(await cp.count('roster_members', { tenant_id: t.id, email: 'zed@acme.example' }), 0);
    });

    it('--replace also says which members, inactive already (SCIM took the person away), the file now keeps off', async () => {
      const okta = await makeDirectory(cp, t, 'okta');
      const created = await scim(cp, okta)('POST', '/Users', user('ivy@acme.example', { title: 'Engineer' }));
      assert.equal(created.status, 201, created.text);
      assert.equal((await cli(['roster-import', file('ivy.csv', ['ada', 'ivy']), '--url', cp.url], env)).code, 0);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${created.body.id}`)).status, 204);
      const r = await cli(['roster-import', file('ada.csv', ['ada']), '--url', cp.url, '--replace'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /0 members not in the file turned inactive\n1 members not in the file, inactive already, stay off until a file lists them: ivy@acme\.example\n/);
    });
  });
}
