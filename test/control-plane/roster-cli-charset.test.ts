import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { cli } from '../support/cli.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';


/** What Excel's "CSV (Comma delimited)" export writes on a Western-European Windows: Windows-1252. */
const WINDOWS_1252 = Buffer.concat([
  Buffer.from('email,first_name,last_name,title\r\njose@acme.example,Jos'),
  Buffer.from([0xe9]), // é
  Buffer.from(',Mu'),
  Buffer.from([0xf1]), // ñ
  Buffer.from('oz,Ing'),
  Buffer.from([0xe9]),
  Buffer.from('nieur '),
  Buffer.from([0x93]), // “
  Buffer.from('Senior'),
  Buffer.from([0x94]), // ”
  Buffer.from('\r\n'),
]);

for (const kind of dbKinds()) {
  describe(`roster-import CLI: --charset (review v1 #7) [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let dir: string;
    let env: Record<string, string>;
    let file: string;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-charset-'));
      env = { CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret };
      file = path.join(dir, 'excel.csv');
      writeFileSync(file, WINDOWS_1252);
    });
    after(async () => {
      await cp?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const members = () => cp.count('roster_members', { tenant_id: t.id });

    it('without --charset a Windows-1252 file is refused, and the advice says how to send its charset with this command', async () => {
      const r = await cli(['roster-import', file, '--url', cp.url], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /line 2\s+body: the file is not UTF-8/);
      assert.match(r.stderr, new RegExp(`hint\\s+this command sends the file's charset with --charset LABEL .*roster-import ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --charset windows-1252`));
      assert.equal(await members(), 0);
    });

    it('--charset windows-1252 is sent as the Content-Type charset: the names are stored as written', async () => {
      const r = await cli(['roster-import', '--charset', 'windows-1252', file, '--url', cp.url], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /1 rows: 1 created/);
      const jose = await cp.db('roster_members').where({ tenant_id: t.id, email: 'jose@acme.example' }).first();
      assert.deepEqual([jose.first_name, jose.last_name, jose.title], ['José', 'Muñoz', 'Ingénieur “Senior”']);
    });

    it('a charset the server cannot read, or a label that is not one, is refused naming --charset, and nothing is written', async () => {
      await cp.db('roster_members').where({ tenant_id: t.id }).delete();
      const unknown = await cli(['roster-import', file, '--url', cp.url, '--charset', 'klingon'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /415: charset "klingon" is not one the roster import can read/);
      assert.match(unknown.stderr, /hint\s+--charset klingon was sent as the Content-Type charset; name the charset the file is really in/);
      for (const bad of ['windows 1252', 'utf-8\r\nX-Evil: 1', '"latin1"']) {
        const r = await cli(['roster-import', file, '--url', cp.url, '--charset', bad], env);
        assert.equal(r.code, 2, 'a usage error, not a file the server refused (review r4 F6)');
        assert.match(r.stderr, /--charset must be a charset label such as windows-1252/);
      }
      const missing = await cli(['roster-import', file, '--url', cp.url, '--charset'], env);
      assert.equal(missing.code, 2, 'a usage error (review r4 F3)');
      assert.match(missing.stderr, /--charset needs a value/);
      assert.equal(await members(), 0);
    });

    it('the usage text names --charset', async () => {
      const r = await cli(['help'], {});
      assert.match(r.stdout, /roster-import FILE \[--url URL\] \[--charset LABEL\]/);
      assert.match(r.stdout, /windows-1252/);
    });
  });
}
