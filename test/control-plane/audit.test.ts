import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

for (const kind of dbKinds()) {
  describe(`governance events [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    async function tenantWithEvents(n: number) {
      const t = await cp.createTenant();
      for (let i = 0; i < n; i++) {
        const r = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: `Name ${i}` } });
        assert.equal(r.status, 200);
      }
      return t;
    }

    it('chains and signs every event; verify walks the whole chain', async () => {
      const t = await tenantWithEvents(5);
      const list = await cp.request('GET', '/api/v1/hub/governance-events', { token: t.token });
      const items = list.body.items;
      assert.deepEqual(items.map((e: any) => e.type), ['tenant.created', 'auth.login', ...Array(5).fill('tenant.config_changed')]);
      for (let i = 1; i < items.length; i++) assert.equal(items[i].prev_hash, items[i - 1].hash);
      assert.ok(items.every((e: any) => e.signature && e.key_id));
      const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      const { checkpoint, ...result } = v.body;
      assert.deepEqual(result, { tenant_id: t.id, ok: true, events_checked: 7, head_seq: 7, head_hash: items[6].hash, legacy_gaps: [] });
      assert.deepEqual(Object.keys(checkpoint).sort(), ['hash', 'key_id', 'seq', 'signature', 'signed_at', 'tenant_id']);
      assert.deepEqual([checkpoint.tenant_id, checkpoint.seq, checkpoint.hash], [t.id, 7, items[6].hash]);
    });

    it('filters by type and time and pages with a cursor', async () => {
      const t = await tenantWithEvents(3);
      const changed = await cp.request('GET', '/api/v1/hub/governance-events?type=tenant.config_changed&limit=2', { token: t.token });
      assert.equal(changed.body.items.length, 2);
      assert.ok(changed.body.next_cursor);
      const rest = await cp.request('GET', `/api/v1/hub/governance-events?type=tenant.config_changed&limit=2&cursor=${changed.body.next_cursor}`, { token: t.token });
      assert.equal(rest.body.items.length, 1);
      assert.equal(rest.body.next_cursor, null);
      const future = await cp.request('GET', `/api/v1/hub/governance-events?since=${new Date(Date.now() + 60_000).toISOString()}`, { token: t.token });
      assert.equal(future.body.items.length, 0);
      const bad = await cp.request('GET', '/api/v1/hub/governance-events?since=yesterday', { token: t.token });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'since');
    });

    it('answers 404 for a tenant that does not exist and takes since/until only as RFC 3339 times', async () => {
      const t = await tenantWithEvents(1);
      for (const path of ['/api/v1/hub/governance-events:verify', '/api/v1/hub/governance-events', '/api/v1/hub/governance-keys']) {
        const missing = await cp.request('GET', `${path}?tenant_id=tnt_doesnotexist`, { token: cp.operatorToken });
        assert.equal(missing.status, 404, path);
        assert.deepEqual([missing.body.error.code, missing.body.error.field], ['not_found', 'tenant_id'], path);
        assert.equal((await cp.request('GET', `${path}?tenant_id=${t.id}`, { token: cp.operatorToken })).status, 200, path);
      }
      const at = (q: string) => cp.request('GET', `/api/v1/hub/governance-events?${q}`, { token: t.token });
      for (const [q, field] of [
        ['since=1', 'since'],
        ['since=2026-12-01', 'since'],
        ['since=2026-12-01T10:00:00', 'since'],
        ['until=2026-02-30T10:00:00Z', 'until'],
        ['until=Tue%2C%2001%20Dec%202026%2010%3A00%3A00%20GMT', 'until'],
      ]) {
        const r = await at(q!);
        assert.equal(r.status, 400, q);
        assert.equal(r.body.error.field, field, q);
      }
      // An offset's "+" must be encoded: a bare one arrives as a space, and the message says so.
      assert.match((await at('since=2026-12-01T10:00:00+02:00')).body.error.message, /%2B/);
      const ok = await at('since=2020-01-01T10:00:00.5%2B02:00&until=2999-01-01t00:00:00z');
      assert.equal(ok.status, 200);
      assert.equal(ok.body.items.length, 3);
    });

    it('publishes the audit public keys, whose checkpoint signature verifies', async () => {
      const t = await tenantWithEvents(1);
      const keys = await cp.request('GET', '/api/v1/hub/governance-keys', { token: t.token });
      assert.equal(keys.status, 200);
      const audit = await cp.server.ctx.keys.activeKey(cp.db, 'audit');
      const published = keys.body.keys.find((k: any) => k.key_id === audit.id);
      assert.equal(published.use, 'audit');
      assert.equal(published.retired_at, null);
      assert.equal(published.public_key_pem, audit.publicKey.export({ type: 'spki', format: 'pem' }));
      assert.deepEqual(published.jwk, { ...audit.publicKey.export({ format: 'jwk' }), kid: audit.id, alg: 'EdDSA', use: 'sig' });
      assert.ok(!keys.body.keys.some((k: any) => k.use !== 'audit'), 'no Hub key for a tenant without a Hub');
      const { checkpoint } = (await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token })).body;
      const { verify, createPublicKey } = await import('node:crypto');
      const message = JSON.stringify({ context: 'claresia.audit_head.v1', hash: checkpoint.hash, seq: checkpoint.seq, signed_at: checkpoint.signed_at, tenant_id: t.id });
      assert.ok(verify(null, Buffer.from(message), createPublicKey(published.public_key_pem), Buffer.from(checkpoint.signature, 'base64')));
    });

    it('names exactly the event that was tampered with', async () => {
      const t = await tenantWithEvents(4);
      const victim = await cp.db('governance_events').where({ tenant_id: t.id, seq: 4 }).first();
      await cp.db('governance_events').where({ id: victim.id }).update({ data: JSON.stringify({ changes: { display_name: { from: 'x', to: 'forged' } } }) });
      const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(v.body.ok, false);
      assert.equal(v.body.first_broken.seq, 4);
      assert.equal(Number(v.body.first_broken.id), Number(victim.id));
      assert.match(v.body.first_broken.reason, /hash/);
    });

    it('detects a re-hashed event by its signature, a deleted event, and a truncated tail', async () => {
      const t = await tenantWithEvents(4);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, seq: 3 }).first();
      // Forging the hash chain without the signing key still fails on the signature.
      const { createHash } = await import('node:crypto');
      await cp.db('governance_events').where({ id: ev.id }).update({ hash: createHash('sha256').update('forged').digest('hex') });
      let v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(v.body.first_broken.seq, 3);

      const t2 = await tenantWithEvents(4);
      await cp.db('governance_events').where({ tenant_id: t2.id, seq: 2 }).delete();
      v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t2.token });
      assert.equal(v.body.first_broken.seq, 2);
      assert.match(v.body.first_broken.reason, /missing/);

      const t3 = await tenantWithEvents(2);
      await cp.db('governance_events').where({ tenant_id: t3.id, seq: 4 }).delete();
      v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t3.token });
      assert.equal(v.body.ok, false);
      assert.equal(v.body.first_broken.seq, 4);
    });

    it('co-signs with the Hub key once the tenant has one', async () => {
      const t = await cp.createTenant();
      const hubKey = await cp.server.ctx.keys.createHubKey(cp.db, t.id);
      await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: 'With hub' } });
      const last = await cp.db('governance_events').where({ tenant_id: t.id }).orderBy('seq', 'desc').first();
      assert.equal(last.hub_key_id, hubKey.id);
      assert.ok(last.hub_signature);
      const first = await cp.db('governance_events').where({ tenant_id: t.id, seq: 1 }).first();
      assert.equal(first.hub_key_id, null);
      assert.equal((await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token })).body.ok, true);
      await cp.db('governance_events').where({ id: last.id }).update({ hub_signature: first.signature });
      const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(v.body.first_broken.seq, Number(last.seq));
      assert.match(v.body.first_broken.reason, /hub/);
    });

    it('the verify-audit CLI reports the first broken link and exits non-zero', async function () {
      if (kind !== 'pg') return this.skip(); // the CLI needs a database another process can open
      const good = await tenantWithEvents(1);
      const bad = await tenantWithEvents(3);
      await cp.db('governance_events').where({ tenant_id: bad.id, seq: 2 }).update({ actor: 'someone-else' });
      const env = { ...process.env, DATABASE_URL: cp.databaseUrl, CLARESIA_OPERATOR_TOKEN: cp.operatorToken, CLARESIA_MASTER_KEY: cp.masterKey };
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'verify-audit', ...args], { env, encoding: 'utf8' });
      const one = run(['--tenant', good.id]);
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, new RegExp(`ok\\s+${good.id}\\s+3 events`));
      const all = run([]);
      assert.equal(all.status, 1, all.stderr);
      assert.match(all.stdout, new RegExp(`BROKEN\\s+${bad.id}\\s+first broken link: seq 2 \\(event id \\d+\\): content does not match its hash`));
    });
  });
}
