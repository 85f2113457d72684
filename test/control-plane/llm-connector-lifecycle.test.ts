import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startPlatformServer, type PlatformServer, type PublishedGrant } from '../support/platforms/platform-server.js';
import { TenantScope } from '../../control-plane/src/db/tenant-scope.js';
import { openCredential, sealCredential, type ConnectorRow } from '../../control-plane/src/llm/connector-store.js';

// Review r6 F4 and F6: what happens to a connector's status by itself (an automatic test after
// create and after a new credential or base URL; a transient test failure does not demote it), and
// to its grants on the platform when it is deleted.

// Retries fast and few, so that running out of attempts happens within a test.
const FAST = { CLARESIA_HUB_POLL_MS: '40', CLARESIA_HUB_RETRY_MS: '60', CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '300', CLARESIA_PUBLISH_MAX_RETRY_MS: '600', CLARESIA_PUBLISH_MAX_ATTEMPTS: '4' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];
const CLAUDE_PUBLISH = '/claude/v1/skills/grants';

type Fault = { status: number; retryAfter?: string } | 'drop';

/**
 * Stands in front of the platform double as the network between the control plane and Claude:
 * passes calls through, or answers the next `n` credential checks or publishes with a fault (an
 * HTTP status, or a connection dropped without an answer).
 */
async function startFaultyLink(upstream: string) {
  const faults = { check: { fault: null as Fault | null, left: 0 }, publish: { fault: null as Fault | null, left: 0 } };
  let hold: { arrived: () => void; released: Promise<void> } | null = null;
  const seen = { check: 0, publish: 0, publishKeys: [] as string[], publishAt: [] as number[] };
  const server = http.createServer((req, res) => {
    const kind = req.url?.startsWith(CLAUDE_PUBLISH) ? 'publish' : 'check';
    seen[kind]++;
    if (kind === 'publish') {
      seen.publishKeys.push(String(req.headers['idempotency-key']));
      seen.publishAt.push(Date.now());
    }
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', async () => {
      if (kind === 'publish' && hold) {
        const h = hold;
        hold = null;
        h.arrived();
        await h.released;
      }
      const f = faults[kind];
      if (f.fault && f.left > 0) {
        f.left--;
        if (f.fault === 'drop') return void req.socket.destroy();
        res.writeHead(f.fault.status, { 'content-type': 'application/json', ...(f.fault.retryAfter ? { 'retry-after': f.fault.retryAfter } : {}) });
        return void res.end(JSON.stringify({ type: 'error', error: { type: f.fault.status === 401 ? 'authentication_error' : 'overloaded_error', message: 'fault' } }));
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
      const up = await fetch(upstream + req.url, { method: req.method, headers, body: raw || undefined });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(await up.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${url}/claude`,
    seen,
    fail(kind: 'check' | 'publish', fault: Fault, n = Infinity) {
      faults[kind] = { fault, left: n };
    },
    /** Holds the next publish until `release` is called; resolves once it arrived. */
    holdNextPublish() {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((r) => (arrived = r));
      hold = { arrived, released: new Promise<void>((r) => (release = r)) };
      return { arrival, release };
    },
    pass() {
      faults.check = { fault: null, left: 0 };
      faults.publish = { fault: null, left: 0 };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

for (const kind of dbKinds()) {
  describe(`llm connector lifecycle: automatic tests, transient failures, revocation on delete [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let link: Awaited<ReturnType<typeof startFaultyLink>>;
    let t: TenantFixture;
    let restoreEnv = () => {};
    const key = (what: string) => `claude-${what}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const connector = async (id: string) => (await api('GET', `/api/v1/llm/connectors/${id}`)).body;
    const statusOf = async (id: string) => (await connector(id)).status as string;
    const events = (type: string, subject: string): Promise<any[]> => cp.db('governance_events').where({ tenant_id: t.id, type, subject }).orderBy('seq');
    const eventsOnce = (what: string, type: string, subject: string) =>
      until(what, async () => {
        const found = await events(type, subject);
        return found.length > 0 && found;
      });
    const create = async (credential: string, baseUrl = link.baseUrl, platform = 'claude') => {
      const c = await api('POST', '/api/v1/llm/connectors', { platform, name: `${platform} ${credential.slice(-5)}`, credential, base_url: baseUrl });
      assert.equal(c.status, 201, c.text);
      return c.body;
    };
    // Between tests: the double keeps one grant set per platform, so a revocation still running
    // would empty it under the next test.
    const removeConnector = async (id: string) => {
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${id}`)).status, 204);
      await until('its revocation settled', async () => (await cp.count('llm_connector_revocations', { connector_id: id, status: 'pending' })) === 0);
    };
    const good = () => {
      const k = key('good');
      platforms.addAccount('claude', { credential: k, scopes: ['skills'] });
      return k;
    };

    before(async () => {
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      link = await startFaultyLink(platforms.url);
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      // One person with skills, so that a publish carries grants.
      const csv = ['email,first_name,last_name,title,department,manager_email', 'ada@acme.example,Ada,L,Software Engineer,Engineering,'].join('\n');
      assert.equal((await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
      assert.equal((await api('PUT', '/api/v1/roster/members/ada@acme.example/archetype', { archetype: 'eng' })).status, 200);
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
    });
    afterEach(() => link.pass());
    after(async () => {
      await cp?.close();
      await link?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('tests a new connector by itself, without the create answer waiting; passing publishes the grants to it', async () => {
      const credential = good();
      const c = await create(credential);
      assert.equal(c.status, 'untested', 'the answer does not wait on the platform');
      await until('the automatic test connected it', async () => (await statusOf(c.id)) === 'connected');
      const [tested] = await events('connector.tested', c.id);
      assert.equal(tested.actor, 'claresia:connector-test');
      assert.equal(tested.data.result, 'connected');
      await until('the grants published to it', async () => (await connector(c.id)).last_publish_at);
      assert.deepEqual(platforms.grants('claude'), ENG.map((skill) => ({ email: 'ada@acme.example', skill })));
      await removeConnector(c.id);
    });

    it('tests it again after a new credential or base URL (what terraform apply sends), not after a rename', async () => {
      const first = good();
      const c = await create(first);
      await until('connected', async () => (await statusOf(c.id)) === 'connected');
      const checksBefore = link.seen.check;
      // Its job row goes a moment after the outcome it recorded.
      await until('its test job finished', async () => (await cp.count('jobs', { queue: 'llm.connector_test' })) === 0);
      const renamed = await api('PATCH', `/api/v1/llm/connectors/${c.id}`, { name: 'renamed' });
      assert.equal(renamed.body.status, 'connected');
      assert.equal(await cp.count('jobs', { queue: 'llm.connector_test' }), 0, 'a rename queues no test');

      const second = good();
      const rotated = await api('PATCH', `/api/v1/llm/connectors/${c.id}`, { credential: second });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.status, 'untested');
      await until('connected with the new credential', async () => (await statusOf(c.id)) === 'connected');
      assert.ok(link.seen.check > checksBefore);
      const used = platforms.calls.filter((x) => x.platform === 'claude' && x.path === '/v1/models').map((x) => x.headers['x-api-key']);
      assert.equal(used.at(-1), second, 'the new credential is the one tested');

      const revoked = key('revoked');
      assert.equal((await api('PATCH', `/api/v1/llm/connectors/${c.id}`, { credential: revoked })).body.status, 'untested');
      await until('failed: the platform refuses the key', async () => (await statusOf(c.id)) === 'failed');
      assert.match((await connector(c.id)).status_reason, /^invalid_credential: /);

      assert.equal((await api('PATCH', `/api/v1/llm/connectors/${c.id}`, { credential: second, base_url: `${platforms.url}/claude` })).body.status, 'untested');
      await until('connected at the new base URL', async () => (await statusOf(c.id)) === 'connected');
      const all = await events('connector.tested', c.id);
      assert.ok(all.every((e: any) => e.actor === 'claresia:connector-test'));
      assert.ok(!JSON.stringify(all).includes(second) && !JSON.stringify(all).includes(revoked), 'no credential in the audit trail');
      await removeConnector(c.id);
    });

    it('an automatic test that cannot reach the platform is retried, saying so meanwhile, and records the failure when out of attempts', async () => {
      link.fail('check', { status: 503 }, 2);
      const c = await create(good());
      await until('connected once the platform answers', async () => (await statusOf(c.id)) === 'connected');
      assert.equal((await events('connector.tested', c.id)).length, 1, 'the failed attempts are not outcomes');

      link.fail('check', { status: 503 });
      const d = await create(good());
      const waiting = await until('waiting, with the reason', async () => {
        const row = await connector(d.id);
        return row.status_reason?.startsWith('waiting:') && row;
      });
      assert.equal(waiting.status, 'untested');
      assert.match(waiting.status_reason, /platform_error: the claude API answered HTTP 503/);
      await until('it does not stay untested', async () => (await statusOf(d.id)) === 'failed');
      assert.match((await connector(d.id)).status_reason, /^platform_error: /);
      for (const id of [c.id, d.id]) await removeConnector(id);
    });

    it('a base_url the platform refuses (404, 400, 405) fails the connector at its first automatic test, naming base_url, without retrying (review v8a F1)', async () => {
      for (const status of [404, 400, 405]) {
        link.fail('check', { status });
        const before = link.seen.check;
        const c = await create(good());
        await until(`failed on HTTP ${status}`, async () => (await statusOf(c.id)) === 'failed');
        const row = await connector(c.id);
        assert.match(row.status_reason, new RegExp(`^platform_rejected_request: the claude API answered HTTP ${status}.*base_url`));
        assert.equal(link.seen.check - before, 1, 'a refused request is not retried');
        const ev = await events('connector.tested', c.id);
        assert.deepEqual(ev.map((e: any) => e.data.result), ['platform_rejected_request']);

        const res = await api('POST', `/api/v1/llm/connectors/${c.id}:test`);
        assert.equal(res.status, 422, res.text);
        assert.equal(res.body.error.code, 'platform_rejected_request');
        assert.equal(res.body.error.field, 'base_url');
        await removeConnector(c.id);
      }
      link.pass();
    });

    it('a 408 from the platform is retried like a 5xx', async () => {
      link.fail('check', { status: 408 }, 1);
      const c = await create(good());
      await until('connected once the platform answers', async () => (await statusOf(c.id)) === 'connected');
      link.pass();
      await removeConnector(c.id);
    });

    it('a test that fails for the platform (5xx, 429, unreachable) leaves a connected connector connected; a refused key fails it', async () => {
      const c = await create(good());
      await until('connected', async () => (await statusOf(c.id)) === 'connected');
      const faults: Array<[Fault, string]> = [
        [{ status: 503 }, 'platform_error'],
        [{ status: 429 }, 'platform_error'],
        [{ status: 500 }, 'platform_error'],
        ['drop', 'platform_unreachable'],
      ];
      for (const [fault, code] of faults) {
        link.fail('check', fault);
        const res = await api('POST', `/api/v1/llm/connectors/${c.id}:test`);
        assert.equal(res.status, 422, res.text);
        assert.equal(res.body.error.code, code);
        assert.equal(res.body.error.field, 'base_url');
        assert.equal(res.body.connector.status, 'connected', JSON.stringify(fault));
        const stored = await connector(c.id);
        assert.equal(stored.status, 'connected');
        assert.match(stored.status_reason, new RegExp(`^still connected; the last test failed \\(${code}: `));
        const ev = (await events('connector.tested', c.id)).at(-1);
        assert.equal(ev.data.result, code);
        assert.equal(ev.data.status_kept, 'connected');
      }
      // Still published to: a republish reaches it.
      const published = (await events('distribution.published', c.id)).length;
      link.pass();
      assert.equal((await api('POST', '/api/v1/skill-entitlement/distribution:republish', {})).status, 202);
      await until('published to it again', async () => (await events('distribution.published', c.id)).length > published);

      const ok = await api('POST', `/api/v1/llm/connectors/${c.id}:test`);
      assert.equal(ok.body.status, 'connected');
      assert.equal(ok.body.status_reason, null, 'a passing test clears the reason');

      link.fail('check', { status: 401 });
      const refused = await api('POST', `/api/v1/llm/connectors/${c.id}:test`);
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'invalid_credential');
      assert.equal(refused.body.connector.status, 'failed');
      await removeConnector(c.id);
    });

    it('deleting a connector revokes its grants on the platform with the credential it had, and audits it', async () => {
      const credential = good();
      const c = await create(credential);
      await until('its grants published', async () => (await connector(c.id)).last_publish_at && platforms.grants('claude').length === ENG.length);
      const del = await api('DELETE', `/api/v1/llm/connectors/${c.id}`);
      assert.equal(del.status, 204, del.text);
      assert.equal((await api('GET', `/api/v1/llm/connectors/${c.id}`)).status, 404, 'gone at once');
      const [removed] = await events('connector.removed', c.id);
      assert.equal(removed.data.grants, 'revocation queued');
      assert.equal(removed.data.grants_published, ENG.length);
      assert.equal(removed.data.users_published, 1);
      await until('the platform holds no grant', () => platforms.grants('claude').length === 0);
      const last = platforms.applied.at(-1)!;
      assert.deepEqual(last.grants, [] as PublishedGrant[]);
      const revokeCall = platforms.calls.filter((x) => x.platform === 'claude' && x.path === '/v1/skills/grants').at(-1)!;
      assert.equal(revokeCall.headers['x-api-key'], credential, "with the deleted connector's credential");
      const [revoked] = await eventsOnce('recorded', 'connector.grants_revoked', c.id);
      assert.equal(revoked.data.revocation_id, removed.data.revocation_id);
      assert.equal(revoked.data.grants_revoked, ENG.length);
      const row = await cp.db('llm_connector_revocations').where({ id: removed.data.revocation_id }).first();
      assert.equal(row.status, 'revoked');
      assert.equal(row.credential_enc, null, 'the credential is not kept once used');
      assert.ok(!JSON.stringify([removed, revoked]).includes(credential));
    });

    it('a revocation is retried while the platform fails, under one Idempotency-Key; out of attempts, the grants left are audited', async () => {
      const c = await create(good());
      await until('its grants published', async () => (await connector(c.id)).last_publish_at && platforms.grants('claude').length === ENG.length);
      // A 429 asking for a second: the next try waits that long (up to CLARESIA_PUBLISH_MAX_RETRY_MS,
      // 600 ms here), not the 300 ms backoff; then a 503, then it is taken.
      link.fail('publish', { status: 429, retryAfter: '1' }, 1);
      const keysBefore = link.seen.publishKeys.length;
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${c.id}`)).status, 204);
      await until('the 429 answered', () => link.seen.publishKeys.length > keysBefore);
      link.fail('publish', { status: 503 }, 1);
      await until('revoked after the failures', () => platforms.grants('claude').length === 0);
      const keys = link.seen.publishKeys.slice(keysBefore);
      assert.equal(keys.length, 3, 'two refused, one taken');
      assert.equal(new Set(keys).size, 1, 'the retries carry the same key');
      const [first, second] = link.seen.publishAt.slice(keysBefore);
      assert.ok(second! - first! >= 550, `retried ${second! - first!} ms after a Retry-After of 1 s capped at 600 ms`);
      // The platform has the empty set a moment before the job's transaction records it.
      assert.equal((await eventsOnce('revocation recorded', 'connector.grants_revoked', c.id)).length, 1);

      const d = await create(good());
      await until('its grants published', async () => (await connector(d.id)).last_publish_at && platforms.grants('claude').length === ENG.length);
      link.fail('publish', 'drop');
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${d.id}`)).status, 204);
      const [left] = await eventsOnce('given up', 'connector.grants_left', d.id);
      assert.equal(left.data.grants_left, ENG.length);
      assert.equal(left.data.attempts, 4);
      assert.match(left.data.error, /claude/);
      assert.equal(platforms.grants('claude').length, ENG.length, 'still there: the platform never answered');
      const row = await cp.db('llm_connector_revocations').where({ connector_id: d.id }).first();
      assert.equal(row.status, 'failed');
      assert.equal(row.credential_enc, null);
    });

    it('a revocation waits for a publish that read the connector before its delete, so the empty set lands last', async () => {
      const c = await create(good());
      await until('its grants published', async () => (await connector(c.id)).last_publish_at && platforms.grants('claude').length === ENG.length);
      const held = link.holdNextPublish();
      assert.equal((await api('POST', '/api/v1/skill-entitlement/distribution:republish', {})).status, 202);
      await held.arrival; // that publish read the connector and is on the wire with the full set
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${c.id}`)).status, 204);
      const waiting = await until('the revocation waits', async () => {
        const job = await cp.db('jobs').where({ queue: 'llm.connector_revoke', tenant_id: t.id, status: 'queued' }).first();
        return job?.last_error?.includes('waiting for a publish') && job;
      });
      assert.equal(waiting.attempts, 0, 'waiting is not an attempt');
      held.release();
      await eventsOnce('revocation recorded', 'connector.grants_revoked', c.id);
      assert.deepEqual(platforms.grants('claude'), [], 'the empty set landed after the full one');
    });

    it('a revocation the platform refuses (401) is not retried: the grants left are audited at once', async () => {
      const c = await create(good());
      await until('its grants published', async () => (await connector(c.id)).last_publish_at && platforms.grants('claude').length === ENG.length);
      link.fail('publish', { status: 401 });
      const keysBefore = link.seen.publishKeys.length;
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${c.id}`)).status, 204);
      const [left] = await eventsOnce('given up', 'connector.grants_left', c.id);
      assert.equal(link.seen.publishKeys.length - keysBefore, 1, 'one call');
      assert.equal(left.data.attempts, 1);
      assert.match(left.data.error, /HTTP 401 \(authentication_error\).*refused the credential/);
      assert.equal(left.data.grants_left, ENG.length);
      assert.equal(platforms.grants('claude').length, ENG.length, 'left on the platform');
    });

    it("a credential kept for a revocation moves with the tenant's keys: under a Mode B Hub's CMEK key, and back before that key is disabled", async () => {
      const tb = await cp.createTenant({ deployment_mode: 'B' });
      const scope = new TenantScope(cp.db, tb.id);
      const keys = cp.server.ctx.keys;
      const connectorId = 'llm_0123456789abcdef';
      // A revocation still waiting for its platform when the Hub comes (no job: only the row matters here).
      await scope.insert('llm_connector_revocations', {
        id: 'rvk_0123456789abcdef',
        connector_id: connectorId,
        platform: 'claude',
        name: 'kept',
        base_url: platforms.baseUrl('claude'),
        ...(await sealCredential(scope, keys, connectorId, 'kept-platform-key')),
        status: 'pending',
        created_at: new Date(),
      });
      const row = () => cp.db('llm_connector_revocations').where({ id: 'rvk_0123456789abcdef' }).first();
      const opened = async () => {
        const r = await row();
        return openCredential(scope, keys, { id: connectorId, credential_enc: r.credential_enc, credential_key_id: r.credential_key_id } as ConnectorRow);
      };
      const hub = await cp.request('POST', '/api/v1/hub/provision', { token: tb.token, body: { mode: 'B', region: 'eu-central-1' } });
      assert.equal(hub.status, 201, hub.text);
      await until('the Hub ready', async () => (await cp.request('GET', '/api/v1/hub', { token: tb.token })).body.status === 'ready');
      assert.equal((await row()).credential_key_id, hub.body.cmek_key_id, 'sealed under the CMEK key');
      assert.equal(await opened(), 'kept-platform-key');
      assert.equal((await cp.request('DELETE', '/api/v1/hub', { token: tb.token })).status, 204);
      assert.equal((await row()).credential_key_id, null, 'back under the tenant key before the CMEK key is disabled');
      assert.equal(await opened(), 'kept-platform-key', 'still opens: the revocation can still run');
    });

    it('a connector that never connected has nothing to revoke', async () => {
      // The double answers 404 there: its automatic test fails it (platform_rejected_request), or has
      // not run yet; either way it never connected.
      const c = await create(key('never'), `${platforms.url}/nowhere`);
      assert.equal((await api('DELETE', `/api/v1/llm/connectors/${c.id}`)).status, 204);
      const [removed] = await events('connector.removed', c.id);
      assert.equal(removed.data.grants, 'none published');
      assert.equal(removed.data.revocation_id, null);
      assert.equal(await cp.count('llm_connector_revocations', { connector_id: c.id }), 0);
    });

    it("offboarding a tenant revokes its connectors' grants: the revocation runs although the tenant's other jobs are dropped", async () => {
      const o = await cp.createTenant();
      const as = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: o.token, ...(body === undefined ? {} : { body }) });
      const csv = ['email,first_name,last_name,title,department,manager_email', 'bob@leaving.example,Bob,L,Software Engineer,Engineering,'].join('\n');
      assert.equal((await cp.request('POST', '/api/v1/roster/csv', { token: o.token, raw: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
      assert.equal((await as('PUT', '/api/v1/roster/members/bob@leaving.example/archetype', { archetype: 'eng' })).status, 200);
      assert.equal((await as('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      const credential = good();
      const made = await as('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'claude leaving', credential, base_url: link.baseUrl });
      assert.equal(made.status, 201, made.text);
      const bobs = () => platforms.grants('claude').filter((g) => g.email === 'bob@leaving.example').length;
      await until('its grants published', async () => (await as('GET', `/api/v1/llm/connectors/${made.body.id}`)).body.last_publish_at && bobs() === ENG.length);

      const off = await cp.request('DELETE', `/api/v1/tenants/${o.id}`, { token: cp.operatorToken });
      assert.equal(off.status, 204, off.text);
      await until('the platform holds none of the offboarded tenant\'s grants', () => bobs() === 0);
      const revokeCall = platforms.calls.filter((x) => x.platform === 'claude' && x.path === '/v1/skills/grants').at(-1)!;
      assert.equal(revokeCall.headers['x-api-key'], credential);
      const offboarded = await cp.db('governance_events').where({ tenant_id: o.id, type: 'tenant.offboarded' }).first();
      assert.equal(offboarded.data.grant_revocations_queued.length, 1);
      const revoked = await until('recorded', async () => cp.db('governance_events').where({ tenant_id: o.id, type: 'connector.grants_revoked', subject: made.body.id }).first());
      assert.equal(revoked.data.revocation_id, offboarded.data.grant_revocations_queued[0]);
    });
  });
}
