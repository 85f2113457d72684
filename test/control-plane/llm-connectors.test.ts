import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isPublishCall, startPlatformServer, type PlatformName, type PlatformServer } from '../support/platforms/platform-server.js';
import { until } from '../support/until.js';

const PLATFORMS: PlatformName[] = ['claude', 'copilot', 'chatgpt', 'slack'];
// What each platform's double must see for a credential to pass: scopes in that platform's own vocabulary.
const FULL_SCOPES: Record<PlatformName, string[]> = {
  claude: ['skills'],
  chatgpt: ['api.model.read'],
  copilot: ['manage_billing:copilot', 'admin:org'],
  slack: ['chat:write', 'commands', 'users:read', 'users:read.email', 'channels:read'],
};
const SHORT_SCOPES: Record<PlatformName, { scopes: string[]; missing: string[] }> = {
  claude: { scopes: [], missing: ['skills'] },
  chatgpt: { scopes: [], missing: ['api.model.read'] },
  copilot: { scopes: ['read:org'], missing: ['manage_billing:copilot'] },
  slack: { scopes: ['chat:write', 'users:read'], missing: ['commands', 'users:read.email'] },
};
const secret = (p: string, what: string) => `${p}-${what}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

function authHeaderOf(platform: PlatformName, headers: Record<string, unknown>): unknown {
  return platform === 'claude' ? headers['x-api-key'] : String(headers.authorization ?? '').replace(/^Bearer /, '');
}

for (const kind of dbKinds()) {
  describe(`llm connectors [${kind}]`, function () {
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    const logLines: string[] = [];
    const good = {} as Record<PlatformName, string>;
    const short = {} as Record<PlatformName, string>;
    const ingestCredentials: string[] = [];

    before(async () => {
      platforms = await startPlatformServer();
      for (const p of PLATFORMS) {
        good[p] = secret(p, 'good');
        short[p] = secret(p, 'short');
        platforms.addAccount(p, { credential: good[p], scopes: FULL_SCOPES[p] });
        platforms.addAccount(p, { credential: short[p], scopes: SHORT_SCOPES[p].scopes });
      }
      const sink = new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: pino({ level: 'debug' }, sink) });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
    });

    const create = (body: Record<string, unknown>, tenant = t) => cp.request('POST', '/api/v1/llm/connectors', { token: tenant.token, body });
    // Events a request writes in its own transaction. A new or changed connector starts a test
    // job, and one that connects a publish job: their events (actor claresia:*) land whenever
    // they run, beside whatever a test counts.
    const requestEvents = async () => Number(((await cp.db('governance_events').whereNot('actor', 'like', 'claresia:%').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    // The automatic test of every connector on the double has run (its job is gone): from then on,
    // a call the double records that is not a publish is one the test made.
    const autoTestsDone = () =>
      until('the automatic tests of the connectors on the double done', async () => {
        const ids = cp.db('llm_connectors').where('base_url', 'like', `${platforms.url}/%`).select('id');
        const [row] = (await cp.db('jobs').where({ queue: 'llm.connector_test' }).whereIn('key', ids).count({ n: '*' })) as Array<{ n: number | string }>;
        return Number(row!.n) === 0;
      });

    it('creates a connector per platform; the credential is sealed under the tenant key and never returned', async () => {
      for (const p of PLATFORMS) {
        const res = await create({ platform: p, name: `  ${p} workspace `, credential: good[p], base_url: platforms.baseUrl(p) });
        assert.equal(res.status, 201, res.text);
        assert.match(res.body.id, /^llm_[0-9a-f]{16}$/);
        assert.equal(res.body.name, `${p} workspace`, 'name is trimmed as the catalog says');
        assert.equal(res.body.status, 'untested');
        assert.equal(res.body.base_url, platforms.baseUrl(p));
        assert.ok(!('credential' in res.body));
        assert.ok(!res.text.includes(good[p]));
        const row = await cp.db('llm_connectors').where({ id: res.body.id }).first();
        assert.equal(row.tenant_id, t.id);
        assert.equal(row.credential_key_id, null, 'Mode A tenant: sealed under the tenant data key');
        assert.ok(!JSON.stringify(row).includes(good[p]), 'stored encrypted');
        assert.match(row.credential_enc, /^v1\./, 'AES-256-GCM envelope');
        const opened = await cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.credential_enc, `llm_connector:${res.body.id}:credential`);
        assert.equal(opened, good[p]);
        await assert.rejects(cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.credential_enc, 'llm_connector:llm_other:credential'), 'bound to its record');
        const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.added', subject: res.body.id }).first();
        assert.equal(ev.data.kind, 'llm');
        assert.equal(ev.data.platform, p);
      }
      const events = await cp.db('governance_events').where({ tenant_id: t.id });
      for (const p of PLATFORMS) assert.ok(!JSON.stringify(events).includes(good[p]), 'no credential in the audit trail');
    });

    it("defaults base_url to the platform's public API", async () => {
      const res = await create({ platform: 'claude', name: 'default url', credential: good.claude });
      assert.equal(res.status, 201);
      assert.equal(res.body.base_url, 'https://api.anthropic.com');
      const slack = await create({ platform: 'slack', name: 'default url', credential: good.slack });
      assert.equal(slack.body.base_url, 'https://slack.com');
    });

    it(':test makes a real call with the stored credential and marks the connector connected', async () => {
      for (const p of PLATFORMS) {
        const c = await create({ platform: p, name: `${p} ok`, credential: good[p], base_url: platforms.baseUrl(p) });
        // Every automatic test on the double, this connector's too, has run: the calls after
        // `before` are this :test's (another connector's test landing there used to count as one).
        await autoTestsDone();
        const before = platforms.calls.length;
        const res = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.status, 'connected');
        assert.equal(res.body.test.ok, true);
        assert.ok(res.body.last_tested_at);
        // A passing test also queues a publish, whose calls may land at any time: only the check is ours.
        const calls = platforms.calls.slice(before).filter((x) => !isPublishCall(x));
        assert.ok(calls.length >= 1 && calls.every((x) => x.platform === p), `${p} was called`);
        for (const call of calls) assert.equal(authHeaderOf(p, call.headers), good[p], `${p} received the credential in its own header`);
        const read = await cp.request('GET', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token });
        assert.equal(read.body.status, 'connected');
        assert.equal(read.body.status_reason, null);
        const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.tested', subject: c.body.id }).first();
        assert.equal(ev.data.result, 'connected');
      }
    });

    it(':test reports a bad key as invalid_credential and a key without the needed scopes as insufficient_scope', async () => {
      for (const p of PLATFORMS) {
        const bad = await create({ platform: p, name: `${p} bad`, credential: secret(p, 'wrong'), base_url: platforms.baseUrl(p) });
        const r1 = await cp.request('POST', `/api/v1/llm/connectors/${bad.body.id}:test`, { token: t.token });
        assert.equal(r1.status, 422, `${p}: ${r1.text}`);
        assert.equal(r1.body.error.code, 'invalid_credential', `${p}: ${r1.text}`);
        assert.equal(r1.body.error.field, 'credential');
        assert.equal(r1.body.connector.status, 'failed');
        const stored = await cp.request('GET', `/api/v1/llm/connectors/${bad.body.id}`, { token: t.token });
        assert.equal(stored.body.status, 'failed', 'the failed outcome is recorded');
        assert.match(stored.body.status_reason, /^invalid_credential: /);

        const weak = await create({ platform: p, name: `${p} weak`, credential: short[p], base_url: platforms.baseUrl(p) });
        const r2 = await cp.request('POST', `/api/v1/llm/connectors/${weak.body.id}:test`, { token: t.token });
        assert.equal(r2.status, 422, `${p}: ${r2.text}`);
        assert.equal(r2.body.error.code, 'insufficient_scope', `${p}: ${r2.text}`);
        assert.deepEqual(r2.body.missing_scopes, SHORT_SCOPES[p].missing, p);
        for (const text of [r1.text, r2.text]) assert.ok(!text.includes(good[p]) && !text.includes(short[p]) && !/\*\*\*/.test(text), 'platform text that quotes the key is not passed on');
        const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.tested', subject: weak.body.id }).first();
        assert.equal(ev.data.result, 'insufficient_scope');
      }
    });

    it(':test holds no database connection while the platform is slow', async () => {
      const slow = secret('chatgpt', 'slow');
      platforms.addAccount('chatgpt', { credential: slow, scopes: ['api.model.read'], delayMs: 1500 });
      const c = await create({ platform: 'chatgpt', name: 'slow', credential: slow, base_url: platforms.baseUrl('chatgpt') });
      const order: string[] = [];
      const testing = cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token }).then((r) => (order.push('test'), r));
      await new Promise((r) => setTimeout(r, 200));
      // A read and a write (with its event) go through while the platform has not answered yet.
      const read = await cp.request('GET', '/api/v1/llm/connectors', { token: t.token });
      const write = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { name: 'slow but fine' } });
      order.push('others');
      assert.equal(read.status, 200);
      assert.equal(write.status, 200);
      const tested = await testing;
      assert.deepEqual(order, ['others', 'test']);
      assert.equal(tested.status, 200, tested.text);
      assert.equal(tested.body.name, 'slow but fine');
    });

    it(':test reports an unreachable platform against base_url', async () => {
      const c = await create({ platform: 'chatgpt', name: 'nowhere', credential: good.chatgpt, base_url: 'http://127.0.0.1:1/v1-gateway' });
      const res = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, 'platform_unreachable');
      assert.equal(res.body.error.field, 'base_url');
    });

    it('rejects bad input naming the field, writing nothing', async () => {
      const valid = { platform: 'claude', name: 'x', credential: good.claude, base_url: platforms.baseUrl('claude') };
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ ...valid, platform: 'bard' }, 'platform', 'invalid_value'],
        [{ ...valid, credential: undefined }, 'credential', 'missing_field'],
        [{ ...valid, credential: 'short' }, 'credential', 'invalid_value'],
        [{ ...valid, name: '' }, 'name', 'invalid_value'],
        [{ ...valid, base_url: 'not a url' }, 'base_url', 'invalid_value'],
        [{ ...valid, base_url: 'ftp://files.example/' }, 'base_url', 'invalid_value'],
        [{ ...valid, base_url: 'https://api.example/?key=1' }, 'base_url', 'invalid_value'],
        [{ ...valid, status: 'connected' }, 'status', 'unknown_field'],
      ];
      const before = { rows: await cp.count('llm_connectors'), events: await requestEvents() };
      for (const [body, field, code] of cases) {
        const res = await create(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
        assert.ok(!res.text.includes(good.claude), 'the credential is not echoed in an error');
      }
      assert.deepEqual({ rows: await cp.count('llm_connectors'), events: await requestEvents() }, before);
    });

    it('refuses plain http and private addresses unless configuration allows them', async () => {
      const strict = await startControlPlane({ db: 'pglite' });
      try {
        const tt = await strict.createTenant();
        for (const base_url of [platforms.baseUrl('claude'), 'https://127.0.0.1:8443', 'https://10.1.2.3', 'https://[::1]/x']) {
          const res = await strict.request('POST', '/api/v1/llm/connectors', { token: tt.token, body: { platform: 'claude', name: 'x', credential: good.claude, base_url } });
          assert.equal(res.status, 400, base_url);
          assert.equal(res.body.error.field, 'base_url');
        }
        assert.equal(await strict.count('llm_connectors'), 0);
      } finally {
        await strict.close();
      }
    });

    it('updates name, base_url and credential; a new credential is re-sealed and must be tested again', async () => {
      const c = await create({ platform: 'slack', name: 'Slack', credential: short.slack, base_url: platforms.baseUrl('slack') });
      await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      const sealedBefore = (await cp.db('llm_connectors').where({ id: c.body.id }).first()).credential_enc;
      const eventsBefore = await requestEvents();
      const same = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { name: ' Slack ', credential: short.slack } });
      assert.equal(same.status, 200);
      // Failed (its scopes fall short): the same credential sent again is tested again, which is
      // how Terraform asks for it (review v4 F2); the no-op case is a connected one, below.
      assert.equal(same.body.status, 'untested');
      assert.equal(await requestEvents(), eventsBefore + 1);
      const res = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { name: 'Slack (Acme)', credential: good.slack } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.name, 'Slack (Acme)');
      assert.equal(res.body.status, 'untested');
      const row = await cp.db('llm_connectors').where({ id: c.body.id }).first();
      assert.notEqual(row.credential_enc, sealedBefore);
      const evs = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.config_changed', subject: c.body.id }).orderBy('seq');
      assert.deepEqual(evs.map((e: any) => e.data.changes), [{ credential: 'sent again' }, { name: { from: 'Slack', to: 'Slack (Acme)' }, credential: 'replaced' }]);
      assert.ok(!JSON.stringify(evs).includes(good.slack) && !JSON.stringify(evs).includes(short.slack));
      const tested = await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token });
      assert.equal(tested.body.status, 'connected', 'the new credential is the one used');
      const connectedEvents = await requestEvents();
      const noop = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { name: ' Slack (Acme) ', credential: good.slack } });
      assert.equal(noop.body.status, 'connected');
      assert.equal(await requestEvents(), connectedEvents, 'a no-op update writes no event');

      const reset = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { base_url: null } });
      assert.equal(reset.body.base_url, 'https://slack.com', 'clearing base_url restores the default');
      const n = await requestEvents();
      const immut = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { platform: 'claude' } });
      assert.equal(immut.status, 400);
      assert.equal(immut.body.error.code, 'immutable_field');
      assert.equal(immut.body.error.field, 'platform');
      const nulled = await cp.request('PATCH', `/api/v1/llm/connectors/${c.body.id}`, { token: t.token, body: { credential: null } });
      assert.equal(nulled.status, 400);
      assert.equal(nulled.body.error.field, 'credential');
      assert.equal(await requestEvents(), n);
    });

    it('lists many ids in one request, deletes, and keeps tenants apart', async () => {
      const a = await create({ platform: 'claude', name: 'a', credential: good.claude, base_url: platforms.baseUrl('claude') });
      const b = await create({ platform: 'copilot', name: 'b', credential: good.copilot, base_url: platforms.baseUrl('copilot') });
      const list = await cp.request('GET', `/api/v1/llm/connectors?id=${a.body.id}&id=${b.body.id}&id=llm_missing`, { token: t.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((x: any) => x.id).sort(), [a.body.id, b.body.id].sort());
      assert.equal(list.body.next_cursor, null);
      assert.ok(list.body.items.every((x: any) => !('credential' in x)));
      const page = await cp.request('GET', '/api/v1/llm/connectors?limit=2', { token: t.token });
      assert.equal(page.body.items.length, 2);
      assert.ok(page.body.next_cursor);

      const other = await cp.createTenant();
      assert.equal((await cp.request('GET', `/api/v1/llm/connectors/${a.body.id}`, { token: other.token })).status, 404);
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${a.body.id}:test`, { token: other.token })).status, 404);
      assert.equal((await cp.request('DELETE', `/api/v1/llm/connectors/${a.body.id}`, { token: other.token })).status, 404);
      assert.deepEqual((await cp.request('GET', '/api/v1/llm/connectors', { token: other.token })).body.items, []);

      const del = await cp.request('DELETE', `/api/v1/llm/connectors/${a.body.id}`, { token: t.token });
      assert.equal(del.status, 204);
      assert.equal((await cp.request('GET', `/api/v1/llm/connectors/${a.body.id}`, { token: t.token })).status, 404);
      assert.equal((await cp.request('DELETE', `/api/v1/llm/connectors/${a.body.id}`, { token: t.token })).status, 404);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.removed', subject: a.body.id }).first();
      assert.equal(ev.data.platform, 'claude');
      assert.equal((await cp.request('GET', '/api/v1/llm/connectors', { token: cp.operatorToken })).status, 403, 'connectors belong to tenants');
    });

    it('issues an ingest credential at create, returned once and stored hashed; rotation replaces it at once and is audited', async () => {
      const created = await create({ platform: 'claude', name: 'ingest', credential: good.claude, base_url: platforms.baseUrl('claude') }, t);
      assert.equal(created.status, 201, created.text);
      const first = created.body.ingest_credential as string;
      ingestCredentials.push(first);
      assert.match(first, /^ingest_[A-Za-z0-9_-]{43}$/);
      assert.match(created.body.ingest_credential_rotated_at, /^\d{4}-\d\d-\d\dT/);
      const id = created.body.id as string;
      const row = await cp.db('llm_connectors').where({ id }).first();
      assert.equal(row.ingest_credential_hash, createHash('sha256').update(first).digest('hex'), 'stored as its SHA-256');
      assert.ok(!JSON.stringify(row).includes(first));
      const read = await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token });
      assert.equal(read.body.ingest_credential, null, 'returned once');
      assert.equal(read.body.ingest_credential_rotated_at, created.body.ingest_credential_rotated_at);
      const listed = await cp.request('GET', '/api/v1/llm/connectors', { token: t.token });
      assert.ok(!listed.text.includes(first));
      const patched = await cp.request('PATCH', `/api/v1/llm/connectors/${id}`, { token: t.token, body: { name: 'renamed' } });
      assert.equal(patched.body.ingest_credential, null);

      const rotatedEvents = await requestEvents();
      const rotated = await cp.request('POST', `/api/v1/llm/connectors/${id}/ingest-credential:rotate`, { token: t.token });
      assert.equal(rotated.status, 200, rotated.text);
      const second = rotated.body.ingest_credential as string;
      ingestCredentials.push(second);
      assert.match(second, /^ingest_/);
      assert.notEqual(second, first);
      assert.ok(rotated.body.ingest_credential_rotated_at >= created.body.ingest_credential_rotated_at);
      assert.equal((await cp.db('llm_connectors').where({ id }).first()).ingest_credential_hash, createHash('sha256').update(second).digest('hex'));
      assert.equal(await requestEvents(), rotatedEvents + 1);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.credential_rotated', subject: id }).first();
      assert.deepEqual(ev.data, { kind: 'llm', platform: 'claude', name: 'renamed', credential: 'ingest', replaced: true });
      assert.ok(!JSON.stringify(ev).includes(second));
      const body = { skill_id: 'claresia.core.meeting-notes', invocation_id: `rot-${id}` };
      assert.equal((await cp.request('POST', '/api/v1/telemetry/events', { token: first, body })).status, 401, 'the old one stopped working');

      // Only a tenant_admin of the same tenant rotates; nothing changes otherwise.
      const other = await cp.createTenant();
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${id}/ingest-credential:rotate`, { token: other.token })).status, 404);
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${id}/ingest-credential:rotate`, { token: cp.operatorToken })).status, 403);
      assert.equal((await cp.request('POST', '/api/v1/llm/connectors/llm_0000000000000000/ingest-credential:rotate', { token: t.token })).status, 404);
      assert.equal((await cp.db('llm_connectors').where({ id }).first()).ingest_credential_hash, createHash('sha256').update(second).digest('hex'));

      // A retried create with an Idempotency-Key gets the first answer, secret included, and makes nothing more.
      const key = `ingest-${id}`;
      const once = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, headers: { 'Idempotency-Key': key }, body: { platform: 'slack', name: 'idem', credential: 'xoxb-test-credential' } });
      assert.equal(once.status, 201, once.text);
      ingestCredentials.push(once.body.ingest_credential);
      const replay = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, headers: { 'Idempotency-Key': key }, body: { platform: 'slack', name: 'idem', credential: 'xoxb-test-credential' } });
      assert.equal(replay.status, 201, replay.text);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.body.ingest_credential, once.body.ingest_credential);
    });

    it('a connector made before ingest credentials existed has none until rotated, and says so', async () => {
      const created = await create({ platform: 'claude', name: 'older', credential: good.claude, base_url: platforms.baseUrl('claude') }, t);
      const id = created.body.id as string;
      // What migration 0600 leaves on a row created by an earlier release.
      await cp.db('llm_connectors').where({ id }).update({ ingest_credential_hash: null, ingest_credential_rotated_at: null });
      const read = await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token });
      assert.equal(read.body.ingest_credential, null);
      assert.equal(read.body.ingest_credential_rotated_at, null);
      const rotated = await cp.request('POST', `/api/v1/llm/connectors/${id}/ingest-credential:rotate`, { token: t.token });
      assert.equal(rotated.status, 200, rotated.text);
      ingestCredentials.push(rotated.body.ingest_credential);
      assert.match(rotated.body.ingest_credential, /^ingest_/);
      assert.notEqual(rotated.body.ingest_credential_rotated_at, null);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.credential_rotated', subject: id }).first();
      assert.equal(ev.data.replaced, false, 'the first credential it ever had');
    });

    it('documents the connector in OpenAPI without the credential in responses', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      assert.ok(doc.paths['/api/v1/llm/connectors'].post);
      assert.ok(doc.paths['/api/v1/llm/connectors/{id}'].patch);
      assert.ok(doc.paths['/api/v1/llm/connectors/{id}:test'].post);
      assert.ok(doc.components.schemas.LlmConnectorCreate.properties.credential.writeOnly);
      assert.ok(!('credential' in doc.components.schemas.LlmConnector.properties));
    });

    it('never logs a credential', () => {
      const all = logLines.join('');
      assert.ok(logLines.length > 10);
      for (const p of PLATFORMS) assert.ok(!all.includes(good[p]) && !all.includes(short[p]), `${p} credential reached the log`);
      assert.ok(ingestCredentials.length >= 3);
      for (const c of ingestCredentials) assert.ok(!all.includes(c), 'an ingest credential reached the log');
    });
  });
}
