import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory, PATCH_OP, scim, type Directory } from './scim/helpers.js';
import { provision } from './rbac-support.js';
import { requestRepublish } from '../../control-plane/src/skills/entitlements.js';
import { TenantScope } from '../../control-plane/src/db/tenant-scope.js';
import { forwardTo } from '../support/http.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '2000', CLARESIA_PUBLISH_MAX_ATTEMPTS: '5' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];
const NEW_ENG = ['claresia.core.translation'];
const PUBLISH_PATH = '/claude/v1/skills/grants';

/**
 * What the platform does to publishes: pass them to the double, hold the next one until
 * released (a slow platform: the publish is in flight while the tenant changes), or answer
 * with a status of its own. Anything else (the connector test) always passes.
 */
type Mode = { kind: 'pass' } | { kind: 'hold' } | { kind: 'answer'; status: number; body: unknown; headers?: Record<string, string> };

interface FaultyPlatform {
  url: string;
  mode: Mode;
  publishes: number[];
  /** Holds the next publish; resolves when it has reached the platform. release() lets it through. */
  hold(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startFaultyPlatform(target: string): Promise<FaultyPlatform> {
  let arrived = () => {};
  let releaseHeld: (() => void) | null = null;
  const fp: FaultyPlatform = {
    url: '',
    mode: { kind: 'pass' },
    publishes: [],
    hold() {
      fp.mode = { kind: 'hold' };
      return new Promise<void>((r) => (arrived = r));
    },
    release: () => {
      const go = releaseHeld;
      releaseHeld = null;
      go?.();
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => forwardTo(target, req, body, res);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url !== PUBLISH_PATH) return forward(req, body, res);
      fp.publishes.push(Date.now());
      const mode = fp.mode;
      if (mode.kind === 'answer') {
        res.writeHead(mode.status, { 'content-type': 'application/json', ...(mode.headers ?? {}) });
        return res.end(JSON.stringify(mode.body));
      }
      if (mode.kind === 'hold') {
        fp.mode = { kind: 'pass' };
        releaseHeld = () => forward(req, body, res);
        return arrived();
      }
      forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fp.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fp;
}

const overloaded = { type: 'error', error: { type: 'api_error', message: 'Internal server error' } };

for (const kind of dbKinds()) {
  describe(`publish outcomes: what a publish covered and why it failed [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let double: PlatformServer;
    let platform: FaultyPlatform;
    let t: TenantFixture;
    let okta: Directory;
    let connector: string;
    let credential: string;
    let bob: string;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const request = async (id: string) => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${id}`)).body;
    const distribution = async () => (await api('GET', '/api/v1/observability/tenant-health')).body.checks.find((c: any) => c.name === 'distribution');
    const holders = () => [...new Set(double.grants('claude').map((g) => g.email))];
    const skillsOf = (email: string) => double.grants('claude').filter((g) => g.email === email).map((g) => g.skill);
    const idle = async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0 && (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'queued' })) + (await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id, status: 'running' })) === 0;
    const setActive = async (id: string, active: boolean) => {
      const res = await scim(cp, okta)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
      assert.equal(res.status, 200, res.text);
    };
    /** Back to a platform that takes everything, with every person's grants on it. */
    const recover = async () => {
      platform.mode = { kind: 'pass' };
      const c = await api('GET', `/api/v1/llm/connectors/${connector}`);
      if (c.body.status !== 'connected') assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'recover' });
      await until('recovered', async () => (await request(r.body.id)).status === 'completed');
      await until('idle', idle);
    };

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      double = await startPlatformServer();
      platform = await startFaultyPlatform(double.url);
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      credential = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential, scopes: ['skills'] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential, base_url: `${platform.url}/claude` });
      assert.equal(c.status, 201, c.text);
      connector = c.body.id;
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      okta = await makeDirectory(cp, t, 'okta');
      const people = await provision(cp, okta, [{ email: 'ada@acme.example', title: 'Software Engineer' }, { email: 'bob@acme.example', title: 'Software Engineer' }], {
        'claresia-users': ['ada@acme.example', 'bob@acme.example'],
      });
      bob = people.ids.get('bob@acme.example')!;
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/roster/scim:sync')).status, 200);
      await until('both published', () => holders().length === 2);
      await until('idle', idle);
    });
    after(async () => {
      await cp?.close();
      await platform?.close();
      await double?.close();
      restoreEnv();
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'passed') await recover();
    });

    it('a change made while a publish is in flight is not reported published by it; when its own publish fails, the request fails and health goes red', async () => {
      const held = platform.hold();
      const a = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'A' });
      assert.equal(a.status, 202, a.text);
      await held; // publish A read its set and is on the wire
      const changedAt = Date.now();
      const put = await api('PUT', '/api/v1/skill-entitlement/archetypes/eng', { skills: NEW_ENG });
      assert.equal(put.status, 200, put.text);
      const b = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'B' });
      assert.equal(b.status, 202, b.text);
      assert.notEqual(b.body.id, a.body.id, 'B is not joined to the request publish A already took');
      platform.mode = { kind: 'answer', status: 500, body: overloaded };
      platform.release();
      await until('A completed', async () => (await request(a.body.id)).status === 'completed');
      const failed = await until('B failed', async () => {
        const r = await request(b.body.id);
        return r.status === 'failed' && r;
      });
      assert.equal(failed.last_error, `claude ${connector}: the claude API answered HTTP 500 (api_error)`);
      assert.deepEqual(skillsOf('ada@acme.example'), [...ENG].sort(), 'the platform still has the old set');
      const d = await distribution();
      assert.equal(d.status, 'red', d.reason);
      assert.match(d.reason, new RegExp(`request ${b.body.id}.*failed.*claude ${connector}.*HTTP 500`));
      const c = (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
      assert.equal(c.last_publish_error, 'the claude API answered HTTP 500 (api_error)');
      assert.ok(c.last_publish_error_at);
      assert.ok(new Date(c.last_publish_at).getTime() < changedAt, "last_publish_at is the time of A's snapshot, before the change, not when A's call returned");

      // A later success repairs it: health compares against the last request, not the failure forever.
      await recover();
      assert.deepEqual(skillsOf('ada@acme.example'), NEW_ENG);
      const after = (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
      assert.equal(after.last_publish_error, null);
      assert.equal((await distribution()).status, 'green');
    });

    it('a platform refusing the credential (401) on publish fails at once: the connector is failed with the reason, the de-provisioning request fails, health names it', async () => {
      platform.mode = { kind: 'answer', status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${credential}` } } };
      const before = platform.publishes.length;
      await setActive(bob, false);
      const req = await until('the de-provisioning request failed', async () => {
        const r = (await api('GET', '/api/v1/skill-entitlement/distribution/requests?status=failed&limit=1')).body.items[0];
        return r && /deactivated/.test(r.reason) && r;
      });
      assert.equal(platform.publishes.length - before, 1, 'not retried: another attempt cannot fix a refused credential');
      assert.match(req.last_error, /claude .*HTTP 401 \(authentication_error\)/);
      const c = (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
      assert.equal(c.status, 'failed');
      assert.match(
        c.status_reason,
        new RegExp(
          `^publish refused: the claude API answered HTTP 401 \\(authentication_error\\); fix the credential; to test it again \\(a pass publishes the current grants to it\\), send its credential again, .*, or POST /api/v1/llm/connectors/${connector}:test$`,
        ),
      );
      assert.equal(c.status_reason.split(':test').length - 1, 1, `the test advice once: ${c.status_reason}`);
      assert.equal(c.last_publish_error, 'the claude API answered HTTP 401 (authentication_error)');
      assert.ok(!JSON.stringify(c).includes(credential) && !JSON.stringify(req).includes(credential), 'the platform free text (which echoes the key) is never repeated');
      assert.deepEqual(holders(), ['ada@acme.example', 'bob@acme.example'], 'bob still has grants on the platform');
      const d = await distribution();
      assert.equal(d.status, 'red', d.reason);
      assert.match(d.reason, new RegExp(`claude ${connector} is failed \\(publish refused: the claude API answered HTTP 401`));
      assert.match(d.action, new RegExp(`/api/v1/llm/connectors/${connector}:test`));
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'distribution.failed' }).orderBy('seq', 'desc').first();
      assert.deepEqual(events.data.requests, [req.id]);

      // With no connector left to publish to, a new request fails too, rather than reading completed.
      const meanwhile = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'while failed' });
      const nowhere = await until('the request with nowhere to go failed', async () => {
        const r = await request(meanwhile.body.id);
        return r.status !== 'pending' && r;
      });
      assert.equal(nowhere.status, 'failed');
      assert.equal(nowhere.last_error, `no connector is connected: claude ${connector} is failed`);

      // A passing test republishes by itself (triggers.ts), and bob's grants go.
      platform.mode = { kind: 'pass' };
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      await until('bob revoked after the test passed', () => JSON.stringify(holders()) === JSON.stringify(['ada@acme.example']));
      await until('idle', idle);
      assert.equal((await distribution()).status, 'green');
      await setActive(bob, true);
      await until('bob back', () => holders().length === 2);
    });

    it('a 429 is retried no sooner than its Retry-After, and the request shows the error while retrying', async () => {
      platform.mode = { kind: 'answer', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '1' } };
      const before = platform.publishes.length;
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'rate limited' });
      const retrying = await until('the error shown while retrying', async () => {
        const x = await request(r.body.id);
        return x.last_error && x;
      });
      assert.equal(retrying.status, 'pending');
      assert.match(retrying.last_error, new RegExp(`claude ${connector}: the claude API answered HTTP 429 \\(rate_limit_error\\)`));
      await until('retried', () => platform.publishes.length >= before + 2);
      const [first, second] = platform.publishes.slice(before);
      // The backoff alone is 50 ms; Retry-After asks for a second.
      assert.ok(second! - first! >= 950, `retried after ${second! - first!} ms`);

      // A Retry-After beyond the longest retry wait is capped to it (2 s here), not obeyed for an hour.
      platform.mode = { kind: 'answer', status: 503, body: overloaded, headers: { 'retry-after': '3600' } };
      const n = platform.publishes.length;
      await until('a 503 with a long Retry-After', () => platform.publishes.length > n);
      const job = await until('the job waits', async () => {
        const row = await cp.db('jobs').where({ queue: 'distribution.publish', tenant_id: t.id, status: 'queued' }).first();
        return row?.last_error?.includes('503') && row;
      });
      const { ms: wait } = await cp.db('jobs').where({ id: job.id }).first(cp.db.raw('(EXTRACT(EPOCH FROM (run_after - now())) * 1000)::float8 AS ms'));
      assert.ok(Number(wait) <= 2000, `waits ${wait} ms`);
      platform.mode = { kind: 'pass' };
      await until('completed once the platform takes it', async () => (await request(r.body.id)).status === 'completed');
    });

    it('a change that joined a request commits before the publish taking that request reads the grants (pg: two transactions at once)', async function () {
      // PGlite has one connection: two transactions cannot be open at once there.
      if (kind !== 'pg') this.skip();
      const held = platform.hold();
      assert.equal((await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'A' })).status, 202);
      await held;
      // Made while A is on the wire: untaken, its publish waits for A.
      const r1 = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'R1' });
      let joined!: (id: string) => void;
      const joinedId = new Promise<string>((r) => (joined = r));
      let commit!: () => void;
      const committing = new Promise<void>((r) => (commit = r));
      const HELD = ['claresia.core.email-drafting'];
      // A change still open when the next publish takes its request, as an API or SCIM write is.
      const open = cp.db.transaction(async (trx) => {
        await trx('skill_entitlements').where({ tenant_id: t.id, archetype: 'eng' }).update({ skills: JSON.stringify(HELD), updated_at: new Date() });
        joined((await requestRepublish(new TenantScope(trx, t.id), 'test', 'held change')).id);
        await committing;
      });
      open.catch(() => {});
      try {
        assert.equal(await joinedId, r1.body.id, 'the change joined the untaken request');
        platform.release();
        await until('the next publish waits for the open change before taking the request', async () => {
          const waiting = await cp.db.raw(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%distribution_requests%'`);
          return waiting.rows.length > 0;
        });
      } finally {
        commit();
        await open;
      }
      const done = await until('R1 completed', async () => {
        const r = await cp.db('distribution_requests').where({ id: r1.body.id }).first();
        return r.status === 'completed' && r;
      });
      const event = await cp.db('governance_events').where({ tenant_id: t.id, type: 'distribution.published' }).whereRaw(`data->>'publish_id' = ?`, [done.publish_id]).first();
      const sent = double.applied.find((a) => a.contentHash === event.data.content_hash)!;
      assert.deepEqual(sent.grants.filter((g) => g.email === 'ada@acme.example').map((g) => g.skill), HELD, 'the publish that completed R1 carried the change that joined it');
    });
  });
}
