import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

/** The error shape of every API answer: code, message, field. */
function assertError(res: { status: number; body: any; text: string }, status: number, code: string, field?: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.error?.code, code, res.text);
  if (field !== undefined) assert.equal(res.body.error.field, field, res.text);
}

for (const kind of dbKinds()) {
  describe(`API input: NUL characters, malformed paths, media types, unknown paths [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('refuses U+0000 anywhere in a JSON body with 400 invalid_value naming the field, and writes nothing', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/api/v1/identity/group-mappings', { group: 'claresia-a\u0000b', role: 'member' }, 'group'],
        ['POST', '/api/v1/service-accounts', { name: 'x\u0000y' }, 'name'],
        ['PATCH', '/api/v1/tenant', { display_name: 'A\u0000' }, 'display_name'],
        ['POST', '/api/v1/telemetry/events', { connector_id: 'llm_\u0000', skill_id: 'claresia.core.translation', invocation_id: 'inv-1' }, 'connector_id'],
        ['POST', '/api/v1/webhooks', { url: 'https://hooks.example/x', events: ['user.created', 'user.\u0000'], secret: '0123456789abcdef0' }, 'events[1]'],
      ];
      const before = { mappings: await cp.count('group_mappings'), accounts: await cp.count('service_accounts'), webhooks: await cp.count('webhooks'), events: await cp.count('governance_events') };
      for (const [method, path, body, field] of cases) {
        const res = await cp.request(method, path, { token: t.token, body });
        assertError(res, 400, 'invalid_value', field);
        assert.match(res.body.error.message, /NUL character \(U\+0000\)/);
      }
      // An object key holding a NUL is named with it escaped.
      assertError(await cp.request('POST', '/api/v1/service-accounts', { token: t.token, body: { 'na\u0000me': 'x' } }), 400, 'invalid_value', 'na\\u0000me');
      const after = { mappings: await cp.count('group_mappings'), accounts: await cp.count('service_accounts'), webhooks: await cp.count('webhooks'), events: await cp.count('governance_events') };
      assert.deepEqual(after, before);
      assert.equal((await cp.request('GET', '/api/v1/tenant', { token: t.token })).body.display_name, t.body.display_name);
    });

    it('refuses U+0000 in a path parameter or a query parameter, naming it', async () => {
      for (const path of ['/api/v1/identity/group-mappings/%00', '/api/v1/webhooks/a%00b', '/api/v1/roster/members/%00']) {
        assertError(await cp.request('GET', path, { token: t.token }), 400, 'invalid_value', path.includes('members') ? 'id' : 'id');
      }
      assertError(await cp.request('GET', '/api/v1/roster?cursor=%00', { token: t.token }), 400, 'invalid_value', 'cursor');
      assertError(await cp.request('GET', '/api/v1/llm/connectors?id=llm_a&id=llm_%00', { token: t.token }), 400, 'invalid_value', 'id');
      assertError(await cp.request('DELETE', '/api/v1/webhooks/%00', { token: t.token }), 400, 'invalid_value', 'id');
      // A route mounted beside the API router (the OIDC callback): named from the request.
      assertError(await cp.request('GET', '/api/v1/identity/sso/connections/sso_%00/oidc/callback?state=s&code=c'), 400, 'invalid_value', 'path');
    });

    it('answers a malformed %-escape in a path with 400 naming the path, in the API and in SCIM', async () => {
      for (const path of ['/api/v1/webhooks/%C3%28', '/api/v1/identity/group-mappings/%E0%A4%A', '/api/v1/roster/members/%']) {
        assertError(await cp.request('GET', path, { token: t.token }), 400, 'invalid_request', 'path');
      }
      const scim = await cp.request('GET', '/scim/v2/%C3%28/Users', { headers: { Authorization: 'Bearer x' } });
      assert.equal(scim.status, 400);
      assert.match(scim.headers.get('content-type') ?? '', /^application\/scim\+json/);
      assert.equal(scim.body.scimType, 'invalidSyntax');
    });

    it('refuses a body whose NUL only the database would find (a CSV field) with 400, not 500', async () => {
      const csv = 'email,first_name,last_name,title,department,manager_email\nok@t.example,A,B,Dev,Eng\u0000ineering,\n';
      const res = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'Content-Type': 'text/csv' } });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.error.message, /NUL|U\+0000/);
      assert.equal(await cp.count('roster_members', { tenant_id: t.id }), 0);
    });

    it('answers JSON sent with another Content-Type (or none) with 415 naming Content-Type, and writes nothing', async () => {
      const json = JSON.stringify({ url: 'https://hooks.example/plain', events: ['user.created'], secret: '0123456789abcdef0' });
      const webhooks = await cp.count('webhooks');
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await cp.request('POST', '/api/v1/webhooks', { token: t.token, raw: json, headers: { 'Content-Type': type } });
        assertError(res, 415, 'unsupported_media_type', 'Content-Type');
        assert.match(res.body.error.message, /application\/json/);
      }
      // fetch sends a string body as text/plain unless told; a Blob with no type has no Content-Type at all.
      const none = await fetch(`${cp.url}/api/v1/webhooks`, { method: 'POST', headers: { Authorization: `Bearer ${t.token}` }, body: new Blob([json]) });
      assert.equal(none.status, 415);
      assert.match(((await none.json()) as any).error.message, /needs a Content-Type header/);
      assert.equal(await cp.count('webhooks'), webhooks);
      // application/*+json is JSON.
      const ok = await cp.request('POST', '/api/v1/webhooks', { token: t.token, raw: json, headers: { 'Content-Type': 'application/merge-patch+json' } });
      assert.equal(ok.status, 201, ok.text);
    });

    it('does not take an unreadable body as no body on a route whose body is optional', async () => {
      // curl -d without -H sends a form: before, the pack was applied as if no body had been sent.
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const res = await cp.request('POST', '/api/v1/skill-entitlement/coworks/starter/apply', { token: t.token, raw: '{"blocked_skills":[]}', headers: { 'Content-Type': type } });
        assertError(res, 415, 'unsupported_media_type', 'Content-Type');
      }
      assert.equal(await cp.count('cowork_applications', { tenant_id: t.id }), 0);
      const bare = await cp.request('POST', '/api/v1/skill-entitlement/coworks/starter/apply', { token: t.token });
      assert.equal(bare.status, 201, bare.text);
    });

    it('reads form bodies only where a route takes them: the token endpoint', async () => {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret }).toString();
      const res = await cp.request('POST', '/api/v1/auth/token', { raw: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.access_token);
      // A form bigger than the 64 KB the parser used to allow is read (the SAML POST binding needs
      // up to a 1 MiB SAMLResponse), and its fields are judged by their own limits.
      const big = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.clientId, client_secret: 'x'.repeat(100_000) }).toString();
      assertError(await cp.request('POST', '/api/v1/auth/token', { raw: big, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 400, 'invalid_value', 'client_secret');
      const plain = await cp.request('POST', '/api/v1/auth/token', { raw: form, headers: { 'Content-Type': 'text/plain' } });
      assertError(plain, 415, 'unsupported_media_type', 'Content-Type');
      assert.match(plain.body.error.message, /application\/json or application\/x-www-form-urlencoded/);
    });

    it('documents the form body only on the routes that take one', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      const types = (path: string) => Object.keys(doc.paths[path].post.requestBody?.content ?? {}).sort();
      assert.deepEqual(types('/api/v1/auth/token'), ['application/json', 'application/x-www-form-urlencoded']);
      assert.deepEqual(types('/api/v1/identity/sso/connections/{id}/saml/acs'), ['application/json', 'application/x-www-form-urlencoded']);
      assert.deepEqual(types('/api/v1/webhooks'), ['application/json']);
    });

    it('answers unknown paths with the JSON error shape everywhere, and in the SCIM error schema under /scim', async () => {
      for (const path of ['/nope', '/', '/api/v1/nope', '/api/nope', '/favicon.ico']) {
        const res = await cp.request('GET', path);
        assertError(res, 404, 'not_found');
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.match(res.body.error.message, /\/api\/v1/);
      }
      assertError(await cp.request('POST', '/healthz', { body: {} }), 404, 'not_found');
      for (const path of ['/scim/v2', '/scim/v1/x/Users']) {
        const res = await cp.request('GET', path);
        assert.equal(res.status, 404);
        assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
        assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
        assert.equal(res.body.status, '404');
      }
    });
  });
}
