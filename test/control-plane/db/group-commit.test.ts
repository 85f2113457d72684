import assert from 'node:assert/strict';
import { GroupCommit } from '../../../control-plane/src/db/group-commit.js';
import { appendEvent, verifyChain } from '../../../control-plane/src/audit/chain.js';
import { rawRows, type Tx } from '../../../control-plane/src/db/connection.js';
import { dbKinds } from '../../support/db.js';
import { until } from '../../support/until.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`group commit of a tenant's writes [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    const keys = () => cp.server.ctx.keys;
    const txid = async (trx: Tx) => String(rawRows(await trx.raw('SELECT txid_current() AS id'))[0].id);
    const event = (trx: Tx, tenantId: string, i: number) => appendEvent(trx, keys(), tenantId, { type: 'test.batched', actor: 'test', subject: `s${i}`, data: { i } });

    it('runs writes that arrive while one is in flight together, in one transaction, and the chain verifies', async () => {
      const t = await cp.createTenant();
      const commits = new GroupCommit(cp.db);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          commits.run(t.id, async (trx) => {
            const id = await txid(trx);
            const ev = await event(trx, t.id, i);
            return { i, id, seq: ev.seq };
          }),
        ),
      );
      assert.deepEqual(results.map((r) => r.i), [...Array(12).keys()], 'each caller gets its own result');
      // The first runs alone at once; the other eleven queued behind it and share one transaction.
      assert.notEqual(results[0]!.id, results[1]!.id);
      assert.equal(new Set(results.slice(1).map((r) => r.id)).size, 1);
      const seqs = results.map((r) => r.seq);
      assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'events are chained in arrival order');
      const v = await verifyChain(cp.db, keys(), t.id);
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'test.batched' }), 12);
    });

    it('a failing write fails alone: the batch is run again write by write and the others commit', async () => {
      const t = await cp.createTenant();
      const commits = new GroupCommit(cp.db);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          commits.run(t.id, async (trx) => {
            await event(trx, t.id, i);
            // A failure after a write of its own, as a SCIM write refused late would be.
            if (i === 3) throw new Error('write 3 is refused');
            return i;
          }),
        ),
      );
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.match(String((outcomes[3] as PromiseRejectedResult).reason), /write 3 is refused/);
      const subjects = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'test.batched' }).orderBy('seq').pluck('subject')) as string[];
      assert.deepEqual(subjects, ['s0', 's1', 's2', 's4', 's5'], 'the refused write left nothing; the rest committed once each');
      assert.equal((await verifyChain(cp.db, keys(), t.id)).ok, true);
    });

    it('a database error that aborts the shared transaction does not fail the other writes', async () => {
      const t = await cp.createTenant();
      const commits = new GroupCommit(cp.db);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          commits.run(t.id, async (trx) => {
            if (i === 2) await trx.raw('SELECT 1/0');
            await event(trx, t.id, i);
            return i;
          }),
        ),
      );
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'test.batched' }), 3);
    });

    it('a write alone that PostgreSQL picks as a deadlock victim is run again and commits', async function () {
      // PGlite has one connection: nothing can wait on anything there.
      if (kind !== 'pg') this.skip();
      this.timeout(30_000);
      const [a, b] = [await cp.createTenant(), await cp.createTenant()];
      const commits = new GroupCommit(cp.db);
      const lock = (trx: Tx, id: string) => trx.raw('SELECT id FROM tenants WHERE id = ? FOR UPDATE', [id]);
      // Another replica's transaction holds b, then wants a. The write starts waiting first, so its
      // deadlock_timeout runs out first and PostgreSQL picks it as the victim.
      const other = await cp.db.transaction();
      try {
        await lock(other, b.id);
        let attempts = 0;
        const write = commits.run(a.id, async (trx) => {
          attempts++;
          await lock(trx, a.id);
          await lock(trx, b.id);
          await event(trx, a.id, attempts);
          return attempts;
        });
        // Asked outside `other`: a transaction sees one snapshot of pg_stat_activity.
        const waiting = () => cp.db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT id FROM tenants WHERE id = % FOR UPDATE'");
        await until('the write waiting for the lock on b', async () => rawRows(await waiting())[0].n === 1);
        await lock(other, a.id);
        await other.commit();
        assert.equal(await write, 2, 'the victim ran once more');
      } finally {
        if (!other.isCompleted()) await other.rollback();
      }
      assert.deepEqual(await cp.db('governance_events').where({ tenant_id: a.id, type: 'test.batched' }).pluck('subject'), ['s2'], 'the first attempt left nothing');
    });

    it('keeps keys apart: another tenant does not wait for this one', async () => {
      const [a, b] = [await cp.createTenant(), await cp.createTenant()];
      const commits = new GroupCommit(cp.db);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = commits.run(a.id, async (trx) => {
        await event(trx, a.id, 0);
        await gate;
        return 'a';
      });
      // On PGlite (one connection) b's transaction would queue for the connection, so only check that b is not queued behind a's key.
      const other = commits.run(b.id, async () => 'b');
      if (kind === 'pg') assert.equal(await other, 'b');
      release();
      assert.equal(await slow, 'a');
      assert.equal(await other, 'b');
    });
  });

  describe(`audit appends in one transaction [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('an append after another in the same transaction still sees a Hub key created in between', async () => {
      const t = await cp.createTenant();
      const keys = cp.server.ctx.keys;
      await cp.db.transaction(async (trx) => {
        await appendEvent(trx, keys, t.id, { type: 'test.before_hub', actor: 'test' });
        await keys.createHubKey(trx, t.id);
        await appendEvent(trx, keys, t.id, { type: 'test.after_hub', actor: 'test' });
        // The head moved by a path that does not go through appendEvent (as a restore would).
        const head = await trx('audit_heads').where({ tenant_id: t.id }).first();
        await appendEvent(trx, keys, t.id, { type: 'test.third', actor: 'test' });
        assert.equal(Number((await trx('audit_heads').where({ tenant_id: t.id }).first()).seq), Number(head.seq) + 1);
      });
      const rows = await cp.db('governance_events').where({ tenant_id: t.id }).whereIn('type', ['test.before_hub', 'test.after_hub', 'test.third']).orderBy('seq');
      assert.deepEqual(rows.map((r: any) => [r.type, r.hub_signature !== null]), [
        ['test.before_hub', false],
        ['test.after_hub', true],
        ['test.third', true],
      ]);
      assert.equal((await verifyChain(cp.db, keys, t.id)).ok, true);
    });

    it('falls back to reading the head when it was moved outside appendEvent in the same transaction', async () => {
      const t = await cp.createTenant();
      const keys = cp.server.ctx.keys;
      await assert.rejects(
        cp.db.transaction(async (trx) => {
          await appendEvent(trx, keys, t.id, { type: 'test.one', actor: 'test' });
          await trx('audit_heads').where({ tenant_id: t.id }).update({ seq: 999 });
          const ev = await appendEvent(trx, keys, t.id, { type: 'test.two', actor: 'test' });
          // Linked to the head as it is, not as this transaction last left it.
          assert.equal(Number(ev.seq), 1000);
          throw new Error('roll back the forged head');
        }),
        /roll back the forged head/,
      );
      assert.equal((await verifyChain(cp.db, keys, t.id)).ok, true);
    });
  });
}
