/**
 * ?limit= on the roster and on telemetry events: refused with 400 naming `limit` outside 1-1000
 * or when not a whole number, as the other lists do, instead of being clamped or replaced by the
 * default without a word.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

const BAD = ['abc', '0', '-1', '1001', '5000', '1.5', '1e2', '', ' 5', '0x10', '99999999999'];

for (const kind of dbKinds()) {
  describe(`list limits on the roster and telemetry events [${kind}]`, function () {
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    const get = (path: string) => cp.request('GET', path, { token: t.token });

    before(async () => {
      const credential = `claude-limits-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      const rows = ['a', 'b', 'c'].map((x) => `${x}@limits.example,${x.toUpperCase()},Person,Software Engineer,Engineering,`);
      const imported = await cp.request('POST', '/api/v1/roster/csv', {
        token: t.token,
        raw: ['email,first_name,last_name,title,department,manager_email', ...rows].join('\n') + '\n',
        headers: { 'Content-Type': 'text/csv' },
      });
      assert.equal(imported.status, 200, imported.text);
      const c = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'claude', name: 'Claude', credential, base_url: platforms.baseUrl('claude') } });
      assert.equal(c.status, 201, c.text);
      assert.equal((await cp.request('POST', `/api/v1/llm/connectors/${c.body.id}:test`, { token: t.token })).body.status, 'connected');
      for (const i of [1, 2, 3]) {
        const ev = await cp.request('POST', '/api/v1/telemetry/events', { token: t.token, body: { connector_id: c.body.id, skill_id: 'claresia.core.meeting-notes', invocation_id: `lim-${i}` } });
        assert.equal(ev.status, 202, ev.text);
      }
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
    });

    for (const path of ['/api/v1/roster', '/api/v1/telemetry/events']) {
      it(`${path}: a limit that is not a whole number from 1 to 1000 is 400 naming limit`, async () => {
        for (const bad of BAD) {
          const res = await get(`${path}?limit=${encodeURIComponent(bad)}`);
          assert.equal(res.status, 400, `limit=${JSON.stringify(bad)}: ${res.text}`);
          assert.deepEqual(res.body.error, { code: 'invalid_value', message: 'limit must be an integer from 1 to 1000', field: 'limit' });
        }
        const twice = await get(`${path}?limit=1&limit=2`);
        assert.equal(twice.status, 400, twice.text);
        assert.equal(twice.body.error.field, 'limit');
      });

      it(`${path}: a limit in range is honoured, up to 1000`, async () => {
        assert.equal((await get(`${path}?limit=2`)).body.items.length, 2);
        assert.equal((await get(`${path}?limit=1000`)).body.items.length, 3);
        assert.equal((await get(path)).body.items.length, 3);
      });
    }

    it('the roster pages through every member with a small limit', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/api/v1/roster?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.items.map((m: { email: string }) => m.email));
        cursor = res.body.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, ['a@limits.example', 'b@limits.example', 'c@limits.example']);
    });
  });
}
