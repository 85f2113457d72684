import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, scim, user } from './helpers.js';

for (const kind of dbKinds()) {
  describe(`scim directories [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('configures a directory: endpoint URL and a bearer token shown once, stored hashed, connector.added', async () => {
      const t = await cp.createTenant();
      const res = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['203.0.113.0/24', '127.0.0.0/8', '127.0.0.0/8'] } });
      assert.equal(res.status, 400, 'duplicates in a set are refused');
      const ok = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['203.0.113.0/24', '127.0.0.0/8'] } });
      assert.equal(ok.status, 201, ok.text);
      assert.match(ok.body.id, /^scim_[0-9a-f]{16}$/);
      assert.equal(ok.body.endpoint_url, `${cp.url}/scim/v2/${ok.body.id}`);
      assert.match(ok.body.bearer_token, /^scim_/);
      assert.deepEqual(ok.body.ip_allowlist, ['127.0.0.0/8', '203.0.113.0/24'], 'stored sorted, as the catalog normalises it');
      const read = await cp.request('GET', `/api/v1/identity/scim/directories/${ok.body.id}`, { token: t.token });
      assert.equal(read.status, 200);
      assert.equal(read.body.bearer_token, null, 'the token is shown once');
      assert.deepEqual({ ...read.body, bearer_token: ok.body.bearer_token }, ok.body, 'a read returns what create returned');
      const stored = await cp.db('scim_directories').where({ id: ok.body.id }).first();
      assert.ok(!JSON.stringify(stored).includes(ok.body.bearer_token), 'only a hash is stored');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.added', subject: ok.body.id }).first();
      assert.equal(ev.data.kind, 'scim_idp');
      assert.equal(ev.data.idp, 'okta');
      assert.ok(!JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id })).includes(ok.body.bearer_token));
      const list = await cp.request('GET', `/api/v1/identity/scim/directories?id=${ok.body.id}&id=scim_0000000000000000&id=bogus`, { token: t.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((d: any) => d.id), [ok.body.id]);
      assert.equal(list.body.next_cursor, null);
    });

    it('returns directory_id (the id, under the runbook name) from configure, read, list, update and rotate', async () => {
      const t = await cp.createTenant();
      const made = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'keycloak' } });
      assert.equal(made.status, 201, made.text);
      const id = made.body.id;
      assert.equal(made.body.directory_id, id, 'a runbook script reads .directory_id from the configure answer');
      assert.equal(made.body.endpoint_url, `${cp.url}/scim/v2/${made.body.directory_id}`);
      const path = `/api/v1/identity/scim/directories/${id}`;
      const answers = {
        read: await cp.request('GET', path, { token: t.token }),
        update: await cp.request('PATCH', path, { token: t.token, body: { ip_allowlist: ['127.0.0.0/8'] } }),
        rotate: await cp.request('POST', `${path}/token:rotate`, { token: t.token }),
      };
      for (const [what, r] of Object.entries(answers)) {
        assert.equal(r.status, 200, `${what}: ${r.text}`);
        assert.equal(r.body.directory_id, id, what);
      }
      const list = await cp.request('GET', `/api/v1/identity/scim/directories?id=${id}`, { token: t.token });
      assert.equal(list.body.items[0].directory_id, id);
      // The catalog declares it, so the OpenAPI document (and the IaC schemas built from the catalog) carry it.
      const doc = await cp.request('GET', '/api/v1/openapi.json');
      assert.ok(doc.body.components.schemas.ScimDirectory.properties.directory_id, 'the answer schema (additionalProperties: false) allows directory_id');
    });

    it('rejects bad configuration with the field named, writing nothing', async () => {
      const t = await cp.createTenant();
      const before = { dirs: await cp.count('scim_directories'), events: await cp.count('governance_events') };
      const cases: Array<[unknown, string, string]> = [
        [{}, 'idp', 'missing_field'],
        [{ idp: 'myspace' }, 'idp', 'invalid_value'],
        [{ idp: 'okta', ip_allowlist: ['10.0.0.1/8'] }, 'ip_allowlist[0]', 'invalid_value'],
        // Not a CIDR at all: refused by the catalog's format, naming the element, as terraform plan does.
        [{ idp: 'okta', ip_allowlist: ['10.0.0.0/33'] }, 'ip_allowlist[0]', 'invalid_value'],
        [{ idp: 'okta', ip_allowlist: ['203.0.113.0/24', 'not-a-cidr'] }, 'ip_allowlist[1]', 'invalid_value'],
        [{ idp: 'okta', ip_allowlist: 'x' }, 'ip_allowlist', 'invalid_type'],
        [{ idp: 'okta', bearer_token: 'mine' }, 'bearer_token', 'unknown_field'],
      ];
      for (const [body, field, code] of cases) {
        const r = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.field, field, JSON.stringify(r.body));
        assert.equal(r.body.error.code, code, JSON.stringify(r.body));
      }
      const host = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['10.0.0.1/8'] } });
      assert.match(host.body.error.message, /host bits/);
      const syntax = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['not-a-cidr'] } });
      assert.equal(syntax.body.error.message, 'ip_allowlist[0] must be a CIDR block such as 203.0.113.0/24', 'the format named, not its regex');
      assert.deepEqual({ dirs: await cp.count('scim_directories'), events: await cp.count('governance_events') }, before);
    });

    it('rotates the token: the old one stops working at once', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'entra');
      const s = scim(cp, d);
      assert.equal((await s('GET', '/Users')).status, 200);
      const rot = await cp.request('POST', `/api/v1/identity/scim/directories/${d.id}/token:rotate`, { token: t.token });
      assert.equal(rot.status, 200, rot.text);
      assert.notEqual(rot.body.bearer_token, d.token);
      const old = await s('GET', '/Users');
      assert.equal(old.status, 401);
      assert.equal(old.body.status, '401');
      assert.deepEqual(old.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      assert.match(old.headers.get('content-type')!, /application\/scim\+json/);
      assert.equal((await scim(cp, { ...d, token: rot.body.bearer_token })('GET', '/Users')).status, 200);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.credential_rotated' }).first();
      assert.ok(ev && !JSON.stringify(ev).includes(rot.body.bearer_token));
    });

    it('a token opens its own directory only; another tenant cannot see the directory', async () => {
      const a = await cp.createTenant();
      const b = await cp.createTenant();
      const da = await makeDirectory(cp, a);
      const db = await makeDirectory(cp, b);
      assert.equal((await cp.request('GET', `${da.base}/Users`, { token: db.token })).status, 401);
      assert.equal((await cp.request('GET', `${da.base}/Users`, { token: a.token })).status, 401, 'a tenant JWT is not a SCIM token');
      assert.equal((await cp.request('GET', `${da.base}/Users`)).status, 401);
      assert.equal((await cp.request('GET', `/api/v1/identity/scim/directories/${da.id}`, { token: b.token })).status, 404);
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${da.id}`, { token: b.token })).status, 404);
      assert.equal((await cp.request('POST', `/api/v1/identity/scim/directories/${da.id}/token:rotate`, { token: b.token })).status, 404);
      assert.equal((await scim(cp, da)('GET', '/Users')).status, 200, 'still works for its owner');
    });

    it('enforces the IP allowlist; changing it is recorded and takes effect', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta', { ip_allowlist: ['203.0.113.0/24'] });
      const s = scim(cp, d);
      const refused = await s('GET', '/Users');
      assert.equal(refused.status, 403);
      assert.match(refused.body.detail, /allowlist/);
      const patch = await cp.request('PATCH', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token, body: { ip_allowlist: ['127.0.0.0/8', '::1/128'] } });
      assert.equal(patch.status, 200, patch.text);
      assert.deepEqual(patch.body.ip_allowlist, ['127.0.0.0/8', '::1/128']);
      assert.equal((await s('GET', '/Users')).status, 200);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.changed', subject: d.id }).first();
      assert.deepEqual(ev.data.changes.ip_allowlist.to, ['127.0.0.0/8', '::1/128']);
      const immut = await cp.request('PATCH', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token, body: { idp: 'entra' } });
      assert.equal(immut.status, 400);
      assert.equal(immut.body.error.field, 'idp');
      const cleared = await cp.request('PATCH', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token, body: { ip_allowlist: null } });
      assert.deepEqual(cleared.body.ip_allowlist, []);
    });

    it('deleting a directory removes what it provisioned, records it, and is then 404', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t);
      const s = scim(cp, d);
      const u = await s('POST', '/Users', user('gone@acme.example'));
      await s('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'claresia-x', members: [{ value: u.body.id }] });
      const del = await cp.request('DELETE', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token });
      assert.equal(del.status, 204, del.text);
      assert.equal(await cp.count('scim_users', { directory_id: d.id }), 0);
      assert.equal(await cp.count('scim_groups', { directory_id: d.id }), 0);
      assert.equal((await cp.request('GET', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token })).status, 404);
      assert.equal((await s('GET', '/Users')).status, 401);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.removed', subject: d.id }).first();
      assert.deepEqual([ev.data.users_removed, ev.data.groups_removed, ev.data.users_deprovisioned], [1, 1, 1]);
    });

    it('metrics label SCIM requests by route template, never by a directory id', async () => {
      const t = await cp.createTenant();
      const dirs = [await makeDirectory(cp, t, 'okta'), await makeDirectory(cp, t, 'entra')];
      for (const d of dirs) {
        assert.equal((await scim(cp, d)('POST', '/Users', user(`metrics-${d.id}@example.com`))).status, 201);
        assert.equal((await scim(cp, d)('GET', '/Users?filter=' + encodeURIComponent('userName eq "nobody@example.com"'))).status, 200);
      }
      const text = await cp.metrics();
      for (const d of dirs) assert.ok(!text.includes(d.id), `no metric names directory ${d.id}`);
      assert.match(text, /claresia_http_requests_total\{method="POST",route="\/scim\/v2\/:directoryId\/Users",status="201"\} [2-9]/);
      assert.match(text, /claresia_http_request_duration_seconds_count\{method="GET",route="\/scim\/v2\/:directoryId\/Users"\} [2-9]/);
    });
  });
}
