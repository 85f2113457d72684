import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds, freshDatabase, type TestDatabase } from '../support/db.js';
import { http } from '../support/http.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { sleep, until } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { PATCH_OP, user } from './scim/helpers.js';

const CONCURRENCY = 8;

/** `claresia-control-plane serve` as its own process (node + tsx directly, so SIGKILL reaches the server itself). */
function serve(env: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.on('exit', (code, signal) => reject(new Error(`serve exited (${code ?? signal}): ${err.slice(-2000)}`)));
  });
}

function kill(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  return done;
}

for (const kind of dbKinds()) {
  describe(`control plane killed with SIGKILL mid-queue [${kind}]`, function () {
    this.timeout(180_000);
    let tdb: TestDatabase | undefined;
    let dataDir: string | undefined;
    let receiver: WebhookReceiver;
    let platforms: PlatformServer;
    const procs: ChildProcess[] = [];
    const operatorToken = 'op_' + randomBytes(24).toString('base64url');
    let env: NodeJS.ProcessEnv;

    before(async () => {
      // Slow answers keep deliveries and publishes in flight when the process dies.
      receiver = await startWebhookReceiver({ delayMs: 150 });
      platforms = await startPlatformServer();
      env = {
        ...process.env,
        PORT: '0',
        LOG_LEVEL: 'warn',
        CLARESIA_OPERATOR_TOKEN: operatorToken,
        CLARESIA_MASTER_KEY: randomBytes(32).toString('base64'),
        CLARESIA_ALLOW_PRIVATE_URLS: '1',
        CLARESIA_JOBS_POLL_MS: '50',
        CLARESIA_JOBS_LEASE_MS: '1500',
        CLARESIA_JOBS_CONCURRENCY: String(CONCURRENCY),
        CLARESIA_WEBHOOK_RETRY_MS: '100',
        CLARESIA_WEBHOOK_MAX_RETRY_MS: '500',
        CLARESIA_PUBLISH_RETRY_MS: '100',
        CLARESIA_PUBLISH_MAX_RETRY_MS: '500',
      };
      if (kind === 'pg') {
        tdb = await freshDatabase('pg');
        env.DATABASE_URL = tdb.url;
      } else {
        // The embedded database cannot be shared with this process, but a restarted server reopens its data directory.
        dataDir = mkdtempSync(path.join(tmpdir(), 'claresia-sigkill-'));
        delete env.DATABASE_URL;
        env.CLARESIA_DATA_DIR = dataDir;
      }
    });
    after(async () => {
      for (const p of procs) await kill(p, 'SIGKILL');
      await receiver?.close();
      await platforms?.close();
      await tdb?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('loses nothing and duplicates nothing: every event delivered, the last grant set published once per platform', async () => {
      const first = await serve(env);
      procs.push(first.proc);
      let url = first.url;
      const created = await http(url, 'POST', '/api/v1/tenants', { token: operatorToken, body: { slug: 'sigkill', display_name: 'Kill', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@kill.example' } });
      assert.equal(created.status, 201, created.text);
      const login = async () =>
        (await http(url, 'POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: created.body.client_id, client_secret: created.body.client_secret } })).body.access_token as string;
      let token = await login();
      const api = (method: string, p: string, body?: unknown) => http(url, method, p, { token, ...(body === undefined ? {} : { body }) });

      const hook = await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created', 'user.deactivated'], secret: 'whsec-sigkill-0123456789' });
      assert.equal(hook.status, 201, hook.text);
      for (const p of ['claude', 'slack'] as const) {
        const credential = `${p}-${randomBytes(8).toString('hex')}`;
        platforms.addAccount(p, { credential, scopes: p === 'claude' ? ['skills'] : ['chat:write', 'commands', 'users:read', 'users:read.email'], delayMs: 150 });
        const c = await api('POST', '/api/v1/llm/connectors', { platform: p, name: p, credential, base_url: platforms.baseUrl(p) });
        assert.equal((await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).status, 200);
      }
      const people = ['a', 'b', 'c', 'd', 'e'].map((x) => `${x}@kill.example`);
      const csv = ['email,first_name,last_name,title,department,manager_email', ...people.map((e) => `${e},X,Y,Engineer,Engineering,`)].join('\n');
      assert.equal((await http(url, 'POST', '/api/v1/roster/csv', { token, raw: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
      for (const e of people) assert.equal((await api('PUT', `/api/v1/roster/members/${e}/archetype`, { archetype: 'eng' })).status, 200);

      const dir = await api('POST', '/api/v1/identity/scim/configure', { idp: 'okta' });
      const scimReq = (method: string, p: string, body: unknown) => http(url, method, `/scim/v2/${dir.body.id}${p}`, { token: dir.body.bearer_token, body, headers: { 'Content-Type': 'application/scim+json' } });
      const skillSets = [['claresia.core.meeting-notes'], ['claresia.core.meeting-notes', 'claresia.core.translation'], ['claresia.codewright.code-review', 'claresia.core.translation']];
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: skillSets[0] })).status, 201);
      // The receiver refuses everything at first, so deliveries pile up in the queue.
      receiver.answer(503);
      const userIds: string[] = [];
      for (let i = 0; i < 24; i++) {
        const u = await scimReq('POST', '/Users', user(`u${i}@kill.example`));
        assert.equal(u.status, 201, u.text);
        userIds.push(u.body.id);
      }
      for (const id of userIds.slice(0, 6)) assert.equal((await scimReq('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] })).status, 200);
      for (const s of skillSets.slice(1)) assert.equal((await api('PUT', '/api/v1/skill-entitlement/archetypes/eng', { skills: s })).status, 200);

      // Mid-queue: some events delivered, others waiting or in flight.
      receiver.answer(200);
      await until('some deliveries made', () => receiver.accepted().length >= 3, 30_000);
      const before = receiver.accepted().length;
      await kill(first.proc, 'SIGKILL');
      const killedAt = Date.now();
      assert.ok(before < 30, `the queue was not yet drained (${before} of 30 delivered at the kill)`);

      const second = await serve(env);
      procs.push(second.proc);
      url = second.url;
      token = await login();
      const items = await until(
        'every delivery made after the restart',
        async () => {
          const list = (await api('GET', `/api/v1/webhooks/${hook.body.id}/deliveries?limit=500`)).body.items as any[];
          return list.length === 30 && list.every((d) => d.status === 'delivered') && list;
        },
        60_000,
      );
      const eventIds = items.map((d) => d.event_id).sort();
      assert.equal(new Set(eventIds).size, 30, 'one delivery per event, none lost, none doubled');
      const accepted = receiver.accepted();
      assert.deepEqual([...new Set(accepted.map((r) => r.eventId))].sort(), eventIds, 'every event reached the receiver');
      // The only possible repeat: a POST in flight at the kill, answered but not yet recorded; the event id lets the receiver drop it.
      const counts = new Map<string, number>();
      for (const r of accepted) counts.set(r.eventId, (counts.get(r.eventId) ?? 0) + 1);
      const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      assert.ok(repeated.length <= CONCURRENCY, `${repeated.length} repeats`);
      for (const id of repeated) {
        const firstArrived = accepted.find((r) => r.eventId === id)!.arrivedAt;
        assert.ok(firstArrived <= killedAt, `event ${id} was repeated although it was not in flight at the kill`);
      }

      if (process.env.CLARESIA_TEST_VERBOSE) console.log(`delivered before the kill: ${before}; repeated after: ${repeated.length}`);
      const expected = people.flatMap((email) => skillSets.at(-1)!.map((skill) => ({ email, skill })));
      await until('the last set on both platforms', () => ['claude', 'slack'].every((p) => JSON.stringify(platforms.grants(p as 'claude')) === JSON.stringify(expected)), 30_000);
      for (const p of ['claude', 'slack'] as const) {
        const hashes = platforms.applied.filter((a) => a.platform === p).map((a) => a.idempotencyKey);
        assert.equal(new Set(hashes).size, hashes.length, `${p}: no set applied twice`);
      }
      const verify = await api('GET', '/api/v1/hub/governance-events:verify');
      assert.equal(verify.body.ok, true, verify.text);
      await sleep(200);
      await kill(second.proc, 'SIGTERM');
    });
  });
}
