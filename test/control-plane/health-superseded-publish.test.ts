import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { distributionCheck } from '../../control-plane/src/health/checks.js';
import type { Facts, PublishRequestFact } from '../../control-plane/src/health/facts.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until } from '../support/until.js';

/**
 * Stands between the control plane and the platform double and holds the calls of one HTTP
 * method until released: the test decides when a connector test or a publish reaches the
 * platform, so "while it is pending" is a state the test holds, not a race it hopes to win.
 */
async function startGate(target: string) {
  let method: string | null = null;
  let opened: () => void = () => {};
  let open = Promise.resolve();
  const gate = { waiting: 0, url: '' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.method === method) {
        gate.waiting++;
        await open;
        gate.waiting--;
      }
      // Hop-by-hop headers belong to each leg; fetch refuses some of them anyway.
      const headers = { ...req.headers };
      for (const h of ['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']) delete headers[h];
      const answer = await fetch(new URL(req.url!, target), { method: req.method, headers: headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const back = Object.fromEntries(answer.headers);
      for (const h of ['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'content-encoding']) delete back[h];
      res.writeHead(answer.status, back);
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(gate, {
    hold(m: string) {
      method = m;
      open = new Promise<void>((resolve) => (opened = resolve));
    },
    release() {
      method = null;
      opened();
    },
    close: () => {
      opened();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

for (const kind of dbKinds()) {
  describe(`health: a failed publish that a newer request supersedes [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let gate: Awaited<ReturnType<typeof startGate>>;
    let t: TenantFixture;

    const distribution = async () => {
      const res = await cp.request('GET', '/api/v1/observability/tenant-health', { token: t.token });
      assert.equal(res.status, 200, res.text);
      return (res.body.checks as Array<{ name: string; status: string; reason: string; action: string | null }>).find((c) => c.name === 'distribution')!;
    };

    before(async () => {
      platforms = await startPlatformServer();
      gate = await startGate(platforms.url);
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await gate?.close();
      await platforms?.close();
    });

    it('reads a publish under way, not the failure, once the connector is fixed and tested, and green when it completes', async () => {
      // The connector's automatic test is held at the platform while a change asks for a publish:
      // that publish finds the connector untested and leaves its request pending for the test.
      const key = `claude-later-${Math.random().toString(36).slice(2)}`;
      gate.hold('GET');
      const base = platforms.baseUrl('claude').replace(platforms.url, gate.url);
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: key, base_url: base } });
      assert.equal(c.status, 201, c.text);
      await until('the automatic test reached the platform', async () => gate.waiting > 0);
      const applied = await cp.request('POST', '/api/v1/skill-entitlement/coworks/builders/apply', { token: t.token });
      assert.ok(applied.status < 300, applied.text);
      await until('the publish ran and left its request waiting for the test', async () => (await cp.count('jobs', { tenant_id: t.id, queue: 'distribution.publish' })) === 0);
      const [waiting] = await cp.db('distribution_requests').where({ tenant_id: t.id });
      assert.equal(waiting.status, 'pending');

      // The platform does not know the key: the test fails the connector, and the request with it.
      gate.release();
      await until('the request failed with the test', async () => (await cp.db('distribution_requests').where({ id: waiting.id }).first()).status === 'failed');
      const failed = await cp.db('distribution_requests').where({ id: waiting.id }).first();
      assert.match(failed.last_error, new RegExp(`^no connector is connected: claude ${c.body.id} failed its test`));
      assert.equal((await distribution()).status, 'red');

      // Fixed and tested: the pass asks for a publish, held at the platform so it stays pending.
      platforms.addAccount('claude', { credential: key, scopes: ['skills'] });
      gate.hold('PUT');
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      assert.equal(tested.body.status, 'connected', tested.text);
      await until('the new publish reached the platform', async () => gate.waiting > 0);
      const pending = await cp.db('distribution_requests').where({ tenant_id: t.id, status: 'pending' });
      assert.equal(pending.length, 1);
      const d = await distribution();
      assert.equal(d.status, 'green', d.reason);
      assert.match(d.reason, new RegExp(`a publish is under way: request ${pending[0].id} \\(connector ${c.body.id} connected\\).* after request ${waiting.id} failed`));
      assert.equal(d.action, null);

      gate.release();
      await until('the new publish completed', async () => (await cp.db('distribution_requests').where({ id: pending[0].id }).first()).status === 'completed');
      const done = await distribution();
      assert.equal(done.status, 'green', done.reason);
      assert.match(done.reason, /up to date with the last change/);
    });

    it('a slow retry of the failure does not stand in for it: still red while the retry is pending', async () => {
      // A tenant of its own, connected and published, so that the failure below is all that is wrong.
      t = await cp.createTenant();
      const key = `claude-good-${Math.random().toString(36).slice(2)}`;
      platforms.addAccount('claude', { credential: key, scopes: ['skills'] });
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential: key, base_url: platforms.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      await cp.request('POST', '/api/v1/skill-entitlement/coworks/builders/apply', { token: t.token });
      await until('connected and published', async () => (await cp.count('jobs', { tenant_id: t.id })) === 0 && (await distribution()).reason.includes('up to date'));
      // A failure a platform answered, and the request the slow retry opens for it
      // (distribution/publisher.ts openRecoveryRequest), made after it.
      const failedId = `dist_f${Math.random().toString(36).slice(2, 10)}`;
      const retryId = `dist_r${Math.random().toString(36).slice(2, 10)}`;
      await cp.db('distribution_requests').insert([
        { id: failedId, tenant_id: t.id, requested_by: 'admin', reason: 'archetype eng changed', status: 'failed', requested_at: new Date(), changed_at: cp.db.fn.now(), completed_at: cp.db.fn.now(), last_error: 'claude llm_x: the claude API answered HTTP 503' },
      ]);
      await cp.db('distribution_requests').insert({ id: retryId, tenant_id: t.id, requested_by: 'claresia:distribution', reason: 'retry of publish p, which ran out of attempts', status: 'pending', requested_at: new Date(), changed_at: cp.db.raw(`now() + interval '1 second'`) });
      try {
        const d = await distribution();
        assert.equal(d.status, 'red', d.reason);
        assert.match(d.reason, new RegExp(`the publish of request ${failedId} .*failed`));
        assert.match(d.action!, /retries it by itself/);
      } finally {
        await cp.db('distribution_requests').whereIn('id', [failedId, retryId]).delete();
      }
    });
  });
}

describe('health: what to do about a publish that found no connector connected', () => {
  const now = new Date('2026-11-24T12:00:00Z');
  const sec = (s: number) => new Date(now.getTime() - s * 1000);
  const facts = (publishing: NonNullable<Facts['publishing']>): Facts => ({
    now,
    tenant: { status: 'live', deployment_mode: 'A' },
    missing: [],
    sso: { total: 1, tested: 1 },
    scim: { directories: 1, users: 2, last_sync_at: sec(300), last_request_at: sec(60) },
    connectors: [
      { id: 'llm_c', platform: 'claude', status: 'connected', status_reason: null, last_publish_at: sec(100), last_publish_error: null },
      { id: 'llm_g', platform: 'chatgpt', status: 'connected', status_reason: null, last_publish_at: sec(100), last_publish_error: null },
    ],
    hub: { present: true, mode: 'A', status: 'ready', cmek_key_id: null, cmek_active: false },
    roster: { users: 2, unmatched: 0, archetypes: ['eng'] },
    entitlements: { archetypes: ['eng'], last_change_at: sec(500) },
    publishing,
    telemetry: { events: 1, first_at: sec(50) },
    events: { login: true, config_changed: false, live: true, scim_sync_at: sec(300) },
    audit: { ok: true, head_seq: 9, legacy_gaps: [] },
  });
  const request = (over: Partial<PublishRequestFact>): PublishRequestFact => ({ id: 'dist_1', reason: 'cowork builders applied', requested_at: sec(300), completed_at: sec(200), last_error: null, ...over });

  it('names the connector and its :test, not the platform answer or the slow retry', () => {
    const c = distributionCheck(facts({ open: null, failed: request({ last_error: 'no connector is connected: claude llm_c failed its test: invalid_credential: the claude API answered HTTP 401' }), last_change_at: sec(300) }));
    assert.equal(c.status, 'red', c.reason);
    assert.match(c.action!, /claude connector llm_c/);
    assert.match(c.action!, /its credential, with PATCH \/api\/v1\/llm\/connectors\/llm_c,/);
    assert.match(c.action!, /POST \/api\/v1\/llm\/connectors\/llm_c:test/);
    assert.doesNotMatch(c.action!, /llm_g/);
    assert.doesNotMatch(c.action!, /platform answered|retries it by itself/);
  });

  it('a publish that found the connectors failed names each', () => {
    const c = distributionCheck(facts({ open: null, failed: request({ last_error: 'no connector is connected: claude llm_c is failed, chatgpt llm_g is failed' }), last_change_at: sec(300) }));
    assert.match(c.action!, /claude connector llm_c, chatgpt connector llm_g/);
    assert.match(c.action!, /llm_c:test, POST \/api\/v1\/llm\/connectors\/llm_g:test/);
  });

  it('a platform answer keeps its advice', () => {
    const c = distributionCheck(facts({ open: null, failed: request({ last_error: 'claude llm_c: the claude API answered HTTP 503 (overloaded_error)' }), last_change_at: sec(300) }));
    assert.match(c.action!, /fix what the platform answered/);
  });

  it('a superseded failure: green while the newer request is within 60 s, red past it', () => {
    const failed = request({ last_error: 'no connector is connected: claude llm_c failed its test: x' });
    const under = distributionCheck(facts({ open: request({ id: 'dist_2', reason: 'connector llm_c connected', requested_at: sec(5), completed_at: null }), failed: null, superseded: failed, last_change_at: sec(5) }));
    assert.equal(under.status, 'green', under.reason);
    assert.match(under.reason, /a publish is under way: request dist_2 \(connector llm_c connected\), made 5 s ago, is being published \(within 60 s\) after request dist_1 failed/);
    const late = distributionCheck(facts({ open: request({ id: 'dist_2', requested_at: sec(90), completed_at: null }), failed: null, superseded: failed, last_change_at: sec(90) }));
    assert.equal(late.status, 'red', late.reason);
    assert.match(late.reason, /dist_2.*not published within 60 s/);
  });
});
