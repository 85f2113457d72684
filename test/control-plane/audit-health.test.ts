import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until } from '../support/until.js';
import { hashOf, verifyOffline } from '../support/governance-offline.js';
import { appendEvent } from '../../control-plane/src/audit/chain.js';
import { auditStatus } from '../../control-plane/src/audit/verification.js';
import { loadRecorded, recordWalk } from '../../control-plane/src/audit/verified-point.js';
import { walkChain } from '../../control-plane/src/audit/verify.js';

/**
 * The health check's audit verdict follows verification (review r3 M3), at the cost of what was
 * appended since the last one; format-1 events without a Hub co-signature are reported as
 * legacy gaps, not as a break (review v1 #5).
 */
for (const kind of dbKinds()) {
  describe(`audit health and legacy co-signature gaps [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    const auditOf = async (t: TenantFixture) => {
      const r = await cp.request('GET', '/api/v1/observability/tenant-health', { token: t.token });
      assert.equal(r.status, 200, r.text);
      return r.body.checks.find((c: any) => c.name === 'audit') as { status: string; reason: string; action: string | null };
    };
    const verifyOf = async (t: TenantFixture) => (await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token })).body;
    const rows = (t: TenantFixture) => cp.db('governance_events').where({ tenant_id: t.id }).orderBy('seq');
    const sig = (key: KeyObject, data: Buffer) => sign(null, data, key).toString('base64');
    const patch = async (t: TenantFixture, name: string) => assert.equal((await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: name } })).status, 200);

    /** A tenant past its smoke test, with `n` more events. */
    async function liveTenant(n: number) {
      const t = await cp.createTenant();
      const keys = cp.server.ctx.keys;
      await cp.db.transaction((trx) => appendEvent(trx, keys, t.id, { type: 'tenant.live', actor: 'test' }));
      for (let i = 0; i < n; i++) await patch(t, `Name ${i}`);
      return t;
    }

    /**
     * The governance_events rows each query returned, with the lowest seq the query asked
     * from: what a health read cost, seen from the database client rather than from the code
     * under test.
     */
    function watchReads() {
      const reads: Array<{ from: number; rows: number }> = [];
      const onResponse = (response: unknown, q: { sql?: string; bindings?: unknown[] }) => {
        const sql = q.sql ?? '';
        if (!/from "governance_events"/i.test(sql) || !/"seq" >=/.test(sql)) return;
        const rowsOf = Array.isArray(response) ? response : ((response as { rows?: unknown[] })?.rows ?? []);
        const seqBinding = (q.bindings ?? [])[1];
        reads.push({ from: Number(seqBinding), rows: rowsOf.length });
      };
      cp.db.on('query-response', onResponse);
      return { reads, stop: () => cp.db.removeListener('query-response', onResponse) };
    }

    it('is green on an untouched chain, and red with the first broken link when an event is tampered with', async () => {
      const t = await liveTenant(3);
      const green = await auditOf(t);
      assert.equal(green.status, 'green', green.reason);
      assert.match(green.reason, /tenant\.live is in the governance trail, verified through event 6/);

      // The reviewer's tamper, on an event appended after that read.
      await patch(t, 'later');
      const seq = (await rows(t)).length;
      await cp.db('governance_events').where({ tenant_id: t.id, seq }).update({ actor: 'someone-else' });
      const red = await auditOf(t);
      assert.equal(red.status, 'red');
      assert.match(red.reason, new RegExp(`the governance chain does not verify: event ${seq} \\(id \\d+\\): content does not match its hash`));
      assert.match(red.action!, /governance-events:verify/);
      assert.equal((await verifyOf(t)).first_broken.seq, seq, 'the same link :verify names');
    });

    it('follows :verify for events it had checked before, and turns green again once :verify checks out', async () => {
      const t = await liveTenant(4);
      assert.equal((await auditOf(t)).status, 'green');
      const victim = (await rows(t))[2];
      await cp.db('governance_events').where({ id: victim.id }).update({ data: JSON.stringify({ name: 'tampered' }) });
      const v = await verifyOf(t);
      assert.equal(v.ok, false);
      const red = await auditOf(t);
      assert.equal(red.status, 'red');
      assert.match(red.reason, new RegExp(`event ${victim.seq} \\(id ${victim.id}\\): content does not match its hash`));
      // Still red on the next reads, though nothing new was appended.
      await patch(t, 'more');
      assert.equal((await auditOf(t)).status, 'red');

      await cp.db('governance_events').where({ id: victim.id }).update({ data: JSON.stringify(victim.data) });
      assert.equal((await verifyOf(t)).ok, true);
      assert.equal((await auditOf(t)).status, 'green');
    });

    it('stays red when a database writer clears the recorded break, as the break leaves no point to resume from (review v2 F3)', async () => {
      const t = await liveTenant(3);
      assert.equal((await auditOf(t)).status, 'green');
      // The reviewer's script: an event health had already verified, then :verify.
      const victim = (await rows(t))[1];
      await cp.db('governance_events').where({ id: victim.id }).update({ actor: 'someone-else' });
      assert.equal((await verifyOf(t)).ok, false);
      assert.equal((await auditOf(t)).status, 'red');
      const clearBreak = () => cp.db('audit_verified').where({ tenant_id: t.id }).update({ broken_seq: null, broken_id: null, broken_reason: null, broken_at: null });
      await clearBreak();
      const red = await auditOf(t);
      assert.equal(red.status, 'red', red.reason);
      assert.match(red.reason, new RegExp(`event ${victim.seq} \\(id ${victim.id}\\): content does not match its hash`));
      await clearBreak();
      assert.equal((await auditOf(t)).status, 'red', 'again');
    });

    it('drops the point a row recorded beside its break (as written before review v2 F3), so clearing the break does not turn health green', async () => {
      const t = await liveTenant(3);
      assert.equal((await auditOf(t)).status, 'green');
      const victim = (await rows(t))[1];
      await cp.db('governance_events').where({ id: victim.id }).update({ actor: 'someone-else' });
      // What :verify recorded before the fix: the break, with the signed point left in place.
      await cp.db('audit_verified').where({ tenant_id: t.id }).update({ broken_seq: victim.seq, broken_id: victim.id, broken_reason: 'content does not match its hash', broken_at: new Date() });
      assert.equal((await auditOf(t)).status, 'red');
      await cp.db('audit_verified').where({ tenant_id: t.id }).update({ broken_seq: null, broken_id: null, broken_reason: null, broken_at: null });
      const red = await auditOf(t);
      assert.equal(red.status, 'red', red.reason);
      assert.match(red.reason, new RegExp(`event ${victim.seq} \\(id ${victim.id}\\): content does not match its hash`));
    });

    it('does not put a point back beside a break another replica recorded meanwhile', async () => {
      const t = await liveTenant(3);
      const keys = cp.server.ctx.keys;
      assert.equal((await auditStatus(cp.db, keys, t.id)).ok, true);
      await patch(t, 'one more');
      const victim = (await rows(t))[1];
      await cp.db('governance_events').where({ id: victim.id }).update({ actor: 'someone-else' });
      // Replica A has loaded the point and walks on from it (the new event checks out) ...
      const from = await loadRecorded(cp.db, keys, t.id);
      assert.ok(from.point);
      const walk = await walkChain(cp.db, keys, t.id, { from: from.point });
      assert.equal(walk.result.ok, true);
      // ... while replica B's :verify finds the break; A records its walk after.
      assert.equal((await verifyOf(t)).ok, false);
      await recordWalk(cp.db, keys, t.id, walk, false);
      await cp.db('audit_verified').where({ tenant_id: t.id }).update({ broken_seq: null, broken_id: null, broken_reason: null, broken_at: null });
      const after = await auditStatus(cp.db, keys, t.id);
      assert.deepEqual([after.ok, after.resumed, after.first_broken?.seq], [false, false, Number(victim.seq)]);
    });

    it('sees a rewritten event at the point it had verified to, without a :verify', async () => {
      const t = await liveTenant(2);
      assert.equal((await auditOf(t)).status, 'green');
      const last = (await rows(t)).at(-1)!;
      // Re-hashed as an attacker would, so the link and the head still match; the signature cannot follow.
      const edited = { ...last, data: { changes: { display_name: 'rewritten' } } };
      const hash = hashOf(edited);
      await cp.db('governance_events').where({ id: last.id }).update({ data: JSON.stringify(edited.data), hash });
      await cp.db('audit_heads').where({ tenant_id: t.id }).update({ hash });
      const red = await auditOf(t);
      assert.equal(red.status, 'red');
      assert.match(red.reason, new RegExp(`event ${last.seq} \\(id ${last.id}\\): control-plane signature is invalid`));
    });

    it('reads only the events appended since the last verification', async () => {
      const t = await liveTenant(30);
      const total = (await rows(t)).length;
      let w = watchReads();
      try {
        assert.equal((await auditOf(t)).status, 'green');
      } finally {
        w.stop();
      }
      assert.deepEqual(w.reads, [{ from: 1, rows: total }], 'the first read walks the chain once');

      for (let i = 0; i < 3; i++) await patch(t, `After ${i}`);
      w = watchReads();
      try {
        const c = await auditOf(t);
        assert.equal(c.status, 'green', c.reason);
        assert.match(c.reason, new RegExp(`verified through event ${total + 3}`));
      } finally {
        w.stop();
      }
      assert.deepEqual(w.reads, [{ from: total + 1, rows: 3 }], 'only the three new events');

      w = watchReads();
      try {
        assert.equal((await auditOf(t)).status, 'green');
      } finally {
        w.stop();
      }
      assert.deepEqual(w.reads, [], 'nothing new, no event read');
    });

    it('walks from the first event again when the recorded point was edited (its signature no longer holds)', async () => {
      const t = await liveTenant(3);
      const keys = cp.server.ctx.keys;
      const first = await auditStatus(cp.db, keys, t.id);
      assert.deepEqual([first.ok, first.resumed], [true, false]);
      await patch(t, 'one more');
      const next = await auditStatus(cp.db, keys, t.id);
      assert.deepEqual([next.ok, next.resumed, next.events_read], [true, true, 1]);
      // A database writer moving the point on (as if more had been verified) or off its Hub key.
      await cp.db('audit_verified').where({ tenant_id: t.id }).update({ hub_key_id: 'key_planted' });
      const walked = await auditStatus(cp.db, keys, t.id);
      assert.deepEqual([walked.ok, walked.resumed, walked.events_read], [true, false, next.head_seq]);
    });

    it('reports a format-1 event without its Hub co-signature as a legacy gap (ok stays true); a format-2 one is a break', async () => {
      const t = await liveTenant(1);
      assert.equal((await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'A' } })).status, 201);
      await until('the Hub to be ready', async () => (await cp.request('GET', '/api/v1/hub', { token: t.token })).body.status === 'ready');
      for (let i = 0; i < 3; i++) await patch(t, `After hub ${i}`);
      const keys = cp.server.ctx.keys;
      // The release before migration 0520: format 1, its own audit key (sealed by id only), and the
      // event after hub.provisioned written without a co-signature (the race cf552e4 fixed).
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const oldId = `key_${randomBytes(8).toString('hex')}`;
      await cp.db('signing_keys').insert({
        id: oldId,
        tenant_id: null,
        purpose: 'audit',
        public_key: publicKey.export({ type: 'spki', format: 'pem' }),
        private_key_enc: keys.seal(privateKey.export({ type: 'pkcs8', format: 'der' }), `signing_key:${oldId}`),
        created_at: new Date('2025-01-01'),
        retired_at: new Date('2025-06-01'),
      });
      const hubKey = (await keys.hubKey(cp.db, t.id))!;
      const all = await rows(t);
      const provisioned = all.find((r: any) => r.type === 'hub.provisioned')!;
      const gapSeq = Number(provisioned.seq) + 1;
      let prev = '0'.repeat(64);
      for (const r of all) {
        const gap = Number(r.seq) === gapSeq;
        const e = { ...r, format: 1, prev_hash: prev, key_id: oldId };
        e.hash = hashOf(e);
        const digest = Buffer.from(e.hash, 'hex');
        await cp.db('governance_events').where({ id: r.id }).update({
          format: 1,
          prev_hash: prev,
          hash: e.hash,
          key_id: oldId,
          signature: sig(privateKey, digest),
          hub_key_id: gap ? null : r.hub_key_id,
          hub_signature: r.hub_key_id && !gap ? sig(hubKey.privateKey, digest) : null,
        });
        prev = e.hash;
      }
      await cp.db('audit_heads').where({ tenant_id: t.id }).update({ hash: prev, key_id: null, signature: null, signed_at: null });
      await cp.db('audit_verified').where({ tenant_id: t.id }).delete();

      const legacy = await verifyOf(t);
      assert.equal(legacy.ok, true, JSON.stringify(legacy));
      assert.deepEqual(legacy.legacy_gaps, [gapSeq]);
      assert.ok(legacy.checkpoint, 'a chain with legacy gaps is vouched for');
      const events = (await cp.request('GET', '/api/v1/hub/governance-events?limit=1000', { token: t.token })).body.items;
      const published = (await cp.request('GET', '/api/v1/hub/governance-keys', { token: t.token })).body.keys;
      assert.deepEqual(verifyOffline(t.id, events, published, [legacy.checkpoint]), { ok: true }, 'the offline check agrees');
      const health = await auditOf(t);
      assert.equal(health.status, 'green', health.reason);
      assert.match(health.reason, /1 event\(s\) from before the upgrade to format 2 lack a Hub co-signature/);

      // Events written after the upgrade are format 2 and co-signed; stripping one is a break.
      await patch(t, 'after the upgrade');
      const after = await verifyOf(t);
      assert.equal(after.ok, true, JSON.stringify(after));
      assert.deepEqual(after.legacy_gaps, [gapSeq]);
      const newest = (await rows(t)).at(-1)!;
      assert.equal(Number(newest.format), 2);
      assert.ok(newest.hub_signature);
      await cp.db('governance_events').where({ id: newest.id }).update({ hub_key_id: null, hub_signature: null });
      const stripped = await verifyOf(t);
      assert.equal(stripped.ok, false);
      assert.equal(stripped.first_broken.seq, Number(newest.seq));
      // The attacker re-hashing it too (key ids are under a format-2 hash) still cannot re-sign it.
      const resealed = { ...newest, hub_key_id: null };
      const h = hashOf(resealed);
      await cp.db('governance_events').where({ id: newest.id }).update({ hash: h });
      await cp.db('audit_heads').where({ tenant_id: t.id }).update({ hash: h });
      const v = await verifyOf(t);
      assert.equal(v.ok, false);
      assert.equal(v.first_broken.seq, Number(newest.seq));
      assert.match(v.first_broken.reason, /hub co-signature is missing/);
      assert.equal((await auditOf(t)).status, 'red');
    });

    it('verify-audit --tenant with an unknown id says the tenant does not exist and exits 2', async function () {
      if (kind !== 'pg') return this.skip(); // the CLI needs a database another process can open
      const t = await liveTenant(0);
      const env = { ...process.env, DATABASE_URL: cp.databaseUrl, CLARESIA_OPERATOR_TOKEN: cp.operatorToken, CLARESIA_MASTER_KEY: cp.masterKey };
      const run = (args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'verify-audit', ...args], { env, encoding: 'utf8' });
      const unknown = run(['--tenant', 'ten_doesnotexist']);
      assert.equal(unknown.status, 2, unknown.stdout + unknown.stderr);
      assert.match(unknown.stderr, /tenant ten_doesnotexist does not exist/);
      assert.doesNotMatch(unknown.stdout, /BROKEN/);
      const known = run(['--tenant', t.id]);
      assert.equal(known.status, 0, known.stderr);
      assert.match(known.stdout, new RegExp(`ok\\s+${t.id}`));
    });
  });
}
