/**
 * A NUL (U+0000) inside a roster CSV is an error of its line and column, reported with the
 * others before anything is written, not a refusal of the whole body named `body`.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const HEADER = 'email,first_name,last_name,title,department,manager_email';

for (const kind of dbKinds()) {
  describe(`roster CSV with NUL characters [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    const post = (csv: string) => cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'Content-Type': 'text/csv' } });
    const written = async () => ({ members: await cp.count('roster_members', { tenant_id: t.id }), events: await cp.count('governance_events', { tenant_id: t.id }) });

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('names the line and the column of each NUL, with the other errors of the file, and writes nothing', async () => {
      const before = await written();
      const res = await post(
        [
          HEADER,
          'ok@nul.example,Ok,Person,Software Engineer,Engineering,',
          'ada@nul.example,Ada,Lovelace,Dev,Eng\u0000ineering,',
          'bad-address,B,C,Dev,Eng,',
          '"grace\u0000@nul.example",Grace,Hop\u0000per,Dev,Eng,',
        ].join('\n') + '\n',
      );
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, 'invalid_csv');
      assert.equal(res.body.error.field, 'department');
      assert.equal(res.body.error.line, 3);
      assert.equal(res.body.error.message, 'the CSV has 4 error(s); nothing was imported. First: line 3: department holds a NUL character (U+0000), which cannot be stored');
      assert.deepEqual(
        res.body.error.errors.map((e: { line: number; field: string }) => [e.line, e.field]),
        [
          [3, 'department'],
          [4, 'email'],
          [5, 'email'],
          [5, 'last_name'],
        ],
      );
      assert.deepEqual(await written(), before);
    });

    it('names the header when a column name holds a NUL', async () => {
      const before = await written();
      const res = await post(`email,first_name,last\u0000_name,title\nok@nul.example,A,B,Dev\n`);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.error, {
        code: 'invalid_csv',
        field: 'header',
        message: 'line 1: column 3 of the header holds a NUL character (U+0000); the columns are email, first_name, last_name, title, department, manager_email',
      });
      assert.deepEqual(await written(), before);
    });

    it('imports the same file once the NULs are gone', async () => {
      const res = await post([HEADER, 'ok@nul.example,Ok,Person,Software Engineer,Engineering,', 'ada@nul.example,Ada,Lovelace,Dev,Engineering,'].join('\n') + '\n');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.created, 2);
    });
  });
}
