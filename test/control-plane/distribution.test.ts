import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startPlatformServer, type PlatformName, type PlatformServer, type PublishedGrant } from '../support/platforms/platform-server.js';

const PLATFORMS: PlatformName[] = ['claude', 'copilot', 'chatgpt', 'slack'];
const SCOPES: Record<PlatformName, string[]> = {
  claude: ['skills'],
  chatgpt: ['api.model.read'],
  copilot: ['manage_billing:copilot', 'admin:org'],
  slack: ['chat:write', 'commands', 'users:read', 'users:read.email'],
};
const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '200' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];
const SALES = ['claresia.core.email-drafting'];

const grantsFor = (people: Array<[string, string[]]>): PublishedGrant[] =>
  people.flatMap(([email, skills]) => skills.map((skill) => ({ email, skill }))).sort((a, b) => (a.email + '\0' + a.skill < b.email + '\0' + b.skill ? -1 : 1));

for (const kind of dbKinds()) {
  describe(`distribution publishing [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    const connectors = {} as Record<PlatformName, string>;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const samePlatforms = (expected: PublishedGrant[]) => PLATFORMS.every((p) => JSON.stringify(platforms.grants(p)) === JSON.stringify(expected));

    before(async () => {
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      for (const p of PLATFORMS) {
        const credential = `${p}-key-${Math.random().toString(36).slice(2)}`;
        platforms.addAccount(p, { credential, scopes: SCOPES[p] });
        const c = await api('POST', '/api/v1/llm/connectors', { platform: p, name: p, credential, base_url: platforms.baseUrl(p) });
        assert.equal(c.status, 201, c.text);
        const tested = await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`);
        assert.equal(tested.status, 200, tested.text);
        connectors[p] = c.body.id;
      }
      const csv = ['email,first_name,last_name,title,department,manager_email', 'ada@acme.example,Ada,L,Software Engineer,Engineering,', 'bob@acme.example,Bob,S,Account Executive,Sales,', 'cy@acme.example,Cy,T,Software Engineer,Engineering,'].join('\n');
      const imported = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'content-type': 'text/csv' } });
      assert.equal(imported.status, 200, imported.text);
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('publishes exactly the grants to every connected platform, sets last_publish_at and records each platform', async () => {
      for (const email of ['ada@acme.example', 'cy@acme.example']) assert.equal((await api('PUT', `/api/v1/roster/members/${email}/archetype`, { archetype: 'eng' })).status, 200);
      assert.equal((await api('PUT', '/api/v1/roster/members/bob@acme.example/archetype', { archetype: 'sales' })).status, 200);
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'sales', skills: SALES })).status, 201);
      const expected = grantsFor([
        ['ada@acme.example', ENG],
        ['bob@acme.example', SALES],
        ['cy@acme.example', ENG],
      ]);
      await until('the grants on every platform', () => samePlatforms(expected));
      await until('requests completed', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0);
      for (const p of PLATFORMS) {
        const c = await api('GET', `/api/v1/llm/connectors/${connectors[p]}`);
        assert.ok(c.body.last_publish_at, `${p} last_publish_at`);
      }
      const events = await cp.db('governance_events').where({ tenant_id: t.id, type: 'distribution.published' }).orderBy('seq', 'desc').limit(4);
      assert.deepEqual(events.map((e: any) => e.data.platform).sort(), [...PLATFORMS].sort());
      const last = events[0].data;
      assert.equal(last.users, 3);
      assert.equal(last.grants, expected.length);
      assert.ok(!JSON.stringify(events.map((e: any) => e.data)).includes('@acme.example'), 'counts only, no addresses in the chain');
      // A job's row goes once its handler's transaction committed, a moment after what it did is visible.
      await until('finished jobs leave the queue', async () => (await cp.count('jobs')) === 0);
      const health = await api('GET', '/api/v1/observability/tenant-health');
      const dist = health.body.checks.find((c: any) => c.name === 'distribution');
      if (dist) assert.equal(dist.status, 'green', JSON.stringify(dist));
    });

    it('a republish of an unchanged set changes nothing on the platforms (the same full set, applied again)', async () => {
      const applied = platforms.applied.length;
      const replays = platforms.replays;
      const before = PLATFORMS.map((p) => platforms.grants(p));
      const res = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'check' });
      assert.equal(res.status, 202, res.text);
      await until('the republish answered', () => platforms.applied.length >= applied + 4);
      const done = await until('the request completed', async () => {
        const r = await api('GET', `/api/v1/skill-entitlement/distribution/requests/${res.body.id}`);
        return r.body.status === 'completed' && r.body;
      });
      assert.equal(done.reason, 'check');
      assert.ok(done.completed_at >= done.requested_at);
      const list = await api('GET', '/api/v1/skill-entitlement/distribution/requests?status=completed&limit=2');
      assert.equal(list.body.items[0].id, res.body.id, 'newest first');
      assert.equal((await api('GET', '/api/v1/skill-entitlement/distribution/requests?status=done')).body.error.field, 'status');
      assert.equal((await api('GET', '/api/v1/skill-entitlement/distribution/requests/dist_nope')).status, 404);
      assert.equal(platforms.applied.length, applied + 4, 'a publish of its own on each platform');
      assert.equal(platforms.replays, replays, 'not answered from an earlier publish');
      assert.deepEqual(
        PLATFORMS.map((p) => platforms.grants(p)),
        before,
      );
    });

    it('a republish asked after a running publish took the pending request gets a request of its own (a platform keeps failing)', async () => {
      platforms.failPublishes('slack', Infinity);
      const a = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'first' });
      assert.equal(a.status, 202, a.text);
      // Taken: that publish read the grants already, so a later change is not part of it.
      await until('the publish took the request', async () => (await cp.db('distribution_requests').where({ id: a.body.id }).first()).publish_id);
      await until('slack failing', async () => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${a.body.id}`)).body.last_error?.includes('slack'));
      const b = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'second' });
      assert.equal(b.status, 202);
      assert.notEqual(b.body.id, a.body.id);
      assert.equal(b.body.coalesced, false);
      assert.ok((await cp.count('jobs', { queue: 'distribution.publish', tenant_id: t.id })) <= 2, 'at most the running job and one queued');
      platforms.failPublishes('slack', 0);
      await until('completed', async () => (await cp.db('distribution_requests').where({ id: a.body.id }).first()).status === 'completed');
      await until('the later one completed', async () => (await cp.db('distribution_requests').where({ id: b.body.id }).first()).status === 'completed');
    });

    it('retries a platform that fails until it takes the set; the request completes only then', async () => {
      platforms.failPublishes('copilot', 3);
      const res = await api('PUT', '/api/v1/skill-entitlement/archetypes/sales', { skills: [...SALES, 'claresia.core.translation'].sort() });
      assert.equal(res.status, 200, res.text);
      const expected = grantsFor([
        ['ada@acme.example', ENG],
        ['bob@acme.example', [...SALES, 'claresia.core.translation'].sort()],
        ['cy@acme.example', ENG],
      ]);
      await until('claude has the new set', () => JSON.stringify(platforms.grants('claude')) === JSON.stringify(expected));
      assert.notDeepEqual(platforms.grants('copilot'), expected, 'copilot is failing');
      await until('every platform has the new set', () => samePlatforms(expected));
      await until('requests completed', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0);
      const forCopilot = platforms.applied.filter((a) => a.platform === 'copilot' && a.contentHash === platforms.applied.at(-1)!.contentHash);
      assert.equal(forCopilot.length, 1, 'applied once after the failures');
      const claudeApplied = platforms.applied.filter((a) => a.platform === 'claude' && JSON.stringify(a.grants) === JSON.stringify(expected));
      assert.equal(claudeApplied.length, 1, 'the retries did not apply the set to claude again');
      const hash = claudeApplied[0]!.contentHash;
      const recorded = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'distribution.published' })).filter((e: any) => e.data.content_hash === hash);
      assert.deepEqual(recorded.map((e: any) => e.data.platform).sort(), [...PLATFORMS].sort(), 'each platform recorded once for the set, retries included');
      const copilotEvent = recorded.find((e: any) => e.data.platform === 'copilot');
      assert.ok(copilotEvent.data.attempt >= 2, 'copilot took it on a retry');
    });

    it('an archetype override asks for a publish itself and reaches the platforms', async () => {
      assert.equal((await api('PUT', '/api/v1/roster/members/cy@acme.example/archetype', { archetype: 'sales' })).status, 200);
      const sales = [...SALES, 'claresia.core.translation'].sort();
      const expected = grantsFor([
        ['ada@acme.example', ENG],
        ['bob@acme.example', sales],
        ['cy@acme.example', sales],
      ]);
      await until('the override published', () => samePlatforms(expected));
      const pub = await cp.db('distribution_requests').where({ tenant_id: t.id }).orderBy('requested_at', 'desc').first();
      assert.match(pub.reason, /archetype of cy@acme.example/);
    });

    it('a connector that is not connected gets nothing', async () => {
      const bad = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'untested', credential: 'never-tested-key', base_url: `${platforms.url}/nowhere` });
      assert.equal(bad.status, 201);
      const res = await api('POST', '/api/v1/skill-entitlement/distribution:republish', {});
      await until('the request completed', async () => (await cp.db('distribution_requests').where({ id: res.body.id }).first()).status === 'completed');
      // Its automatic test does call there (and its 404 fails the connector); no publish does.
      assert.equal(platforms.calls.filter((c) => c.platform === 'nowhere' && c.path === '/v1/skills/grants').length, 0);
      assert.equal((await api('GET', `/api/v1/llm/connectors/${bad.body.id}`)).body.last_publish_at, null);
    });

    it('a connector whose test passes gets the grants without waiting for a change', async () => {
      const credential = `claude-second-${Math.random().toString(36).slice(2)}`;
      platforms.addAccount('claude', { credential, scopes: SCOPES.claude });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'second claude', credential, base_url: platforms.baseUrl('claude') });
      const publishes = () => platforms.calls.filter((x) => x.path === '/v1/skills/grants' && x.headers['x-api-key'] === credential).length;
      // The control plane tests a new connector by itself: that test passing publishes to it.
      await until('published to it', async () => (await api('GET', `/api/v1/llm/connectors/${c.body.id}`)).body.last_publish_at);
      assert.equal(publishes(), 1);
      assert.equal((await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).status, 200);
      await until('published again after a test by hand', () => publishes() === 2);
    });

    it('records a publish with every connector row locked before the audit chain, the order a Hub re-sealing credentials takes', async function () {
      // Two connections must wait on each other to show the order; PGlite has one.
      if (kind !== 'pg') this.skip();
      const ids = ((await cp.db('llm_connectors').where({ tenant_id: t.id, status: 'connected' }).orderBy('id').select('id')) as Array<{ id: string }>).map((r) => r.id);
      assert.ok(ids.length >= 2);
      let locked!: () => void;
      let release!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const held = new Promise<void>((r) => (release = r));
      // As a Mode B Hub does: connector rows locked, the chain head not yet.
      const hub = cp.db.transaction(async (trx) => {
        await trx('llm_connectors').whereIn('id', ids.slice(1)).forUpdate().select('id');
        locked();
        await held;
      });
      await isLocked;
      try {
        assert.equal((await api('POST', '/api/v1/skill-entitlement/distribution:republish', {})).status, 202);
        await until('the publish waits for the locked connectors', async () => {
          const waiting = await cp.db.raw(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%llm_connectors%'`);
          return waiting.rows.length > 0;
        });
        // Meanwhile the chain head is free: the publish took no part of the chain before the connectors.
        await cp.db.transaction(async (trx) => {
          const head = await trx.raw('SELECT seq FROM audit_heads WHERE tenant_id = ? FOR UPDATE NOWAIT', [t.id]);
          assert.equal(head.rows.length, 1);
        });
      } finally {
        release();
        await hub;
      }
      await until('the publish recorded', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0);
    });
  });
}
