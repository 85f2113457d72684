import assert from 'node:assert/strict';
import { prepared, rawRows } from '../../../control-plane/src/db/connection.js';
import { dbKinds, freshDatabase, type TestDatabase } from '../../support/db.js';

for (const kind of dbKinds()) {
  describe(`prepared statements [${kind}]`, function () {
    let t: TestDatabase;
    before(async () => {
      t = await freshDatabase(kind);
      await t.db.raw('CREATE TABLE things (id text PRIMARY KEY, n int NOT NULL)');
      await t.db('things').insert([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]);
    });
    after(async () => t?.drop());

    it('answers as the plain statement does, whatever the values, raw or built', async () => {
      for (const id of ['a', 'b', 'c', 'a']) {
        const plain = rawRows(await t.db.raw('SELECT n FROM things WHERE id = ?', [id]));
        assert.deepEqual(rawRows(await prepared(t.db.raw('SELECT n FROM things WHERE id = ?', [id]))), plain);
        assert.deepEqual(await prepared(t.db('things').where({ id }).select('n')), await t.db('things').where({ id }).select('n'));
      }
      // Inside a transaction too.
      await t.db.transaction(async (trx) => {
        assert.deepEqual(await prepared(trx('things').where({ id: 'b' }).select('n')), [{ n: 2 }]);
      });
    });

    if (kind === 'pg') {
      it('is prepared once per connection under a name of its own text', async () => {
        // One connection, so the session that prepared is the one asked.
        const conn = await t.db.client.acquireConnection();
        try {
          const run = (text: string, values: unknown[], options: object) =>
            new Promise<void>((resolve, reject) => conn.query({ text, values, ...options }, (err: Error | null) => (err ? reject(err) : resolve())));
          for (const id of ['a', 'b']) {
            const q = prepared(t.db.raw('SELECT n FROM things WHERE id = ?', [id]));
            const native = q.toSQL().toNative();
            await run(native.sql, [...native.bindings], (q as any)._options?.[0] ?? {});
          }
          const other = prepared(t.db.raw('SELECT n FROM things WHERE n = ?', [1]));
          const native = other.toSQL().toNative();
          await run(native.sql, [...native.bindings], (other as any)._options?.[0] ?? {});
          const statements = await new Promise<Array<{ name: string; statement: string }>>((resolve, reject) =>
            conn.query('SELECT name, statement FROM pg_prepared_statements ORDER BY statement', (err: Error | null, res: { rows: any[] }) => (err ? reject(err) : resolve(res.rows))),
          );
          // (The connection may also hold what the test before prepared through the pool.)
          const mine = statements.filter((s) => s.statement.startsWith('SELECT n FROM things'));
          assert.deepEqual(
            mine.map((s) => s.statement),
            ['SELECT n FROM things WHERE id = $1', 'SELECT n FROM things WHERE n = $1'],
          );
          assert.notEqual(mine[0]!.name, mine[1]!.name);
        } finally {
          await t.db.client.releaseConnection(conn);
        }
      });
    }
  });
}
