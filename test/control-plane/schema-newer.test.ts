import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { migrateLatest, startServer } from '@claresia/control-plane';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

/** What a newer release's `migrate` leaves in the database: a migration this release does not ship. */
const NEWER = '9990_from_a_newer_release';

async function migrateAsNewerRelease(cp: TestControlPlane) {
  const [{ batch }] = await cp.db('knex_migrations').max({ batch: 'batch' });
  await cp.db('knex_migrations').insert({ name: NEWER, batch: Number(batch) + 1, migration_time: new Date() });
}

for (const kind of dbKinds()) {
  describe(`a database migrated by a newer release [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      await migrateAsNewerRelease(cp);
    });
    after(async () => cp?.close());

    it('keeps a running replica of this release ready (it is not a database outage), saying the schema is newer', async () => {
      const ready = await cp.request('GET', '/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.deepEqual(ready.body, { status: 'ready', schema: 'newer', unknown_migrations: [NEWER] });
      const list = await cp.request('GET', '/api/v1/tenants?limit=1', { token: cp.operatorToken });
      assert.equal(list.status, 200);
    });

    it('still says migrations_pending when one of its own is missing', async () => {
      const [last] = await cp.db('knex_migrations').whereNot({ name: NEWER }).orderBy('id', 'desc').limit(1);
      await cp.db('knex_migrations').where({ id: last.id }).delete();
      try {
        const ready = await cp.request('GET', '/readyz');
        assert.equal(ready.status, 503);
        assert.deepEqual(ready.body, { status: 'migrations_pending', pending: 1 });
      } finally {
        await cp.db('knex_migrations').insert(last);
      }
    });

    it('migrate and serve refuse plainly, naming the unknown migrations and what to do', async () => {
      const plain = (err: Error) => {
        assert.match(err.message, /^the database schema is newer than this release: it holds migrations this release does not ship \(9990_from_a_newer_release\)/);
        assert.match(err.message, /restore the backup taken before the upgrade/);
        assert.doesNotMatch(err.message, /corrupt/);
        return true;
      };
      await assert.rejects(migrateLatest(cp.db), plain);
      await assert.rejects(startServer({ ...cp.server.ctx.config }, { db: cp.db, logger: cp.server.ctx.logger }), plain);
      assert.equal(await cp.count('knex_migrations', { name: NEWER }), 1);
    });

    it('the migrate command says so and exits 1', function () {
      // The command needs DATABASE_URL: a server another process can reach.
      if (kind !== 'pg') this.skip();
      const env = { ...process.env, DATABASE_URL: cp.databaseUrl!, CLARESIA_OPERATOR_TOKEN: cp.operatorToken, CLARESIA_MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn' };
      const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'migrate'], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^error: the database schema is newer than this release: it holds migrations this release does not ship \(9990_from_a_newer_release\), applied by a newer release\. Run that release/);
    });
  });
}
