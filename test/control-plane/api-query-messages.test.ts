import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

function assertError(res: { status: number; body: any; text: string }, status: number, code: string, field: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.error?.code, code, res.text);
  assert.equal(res.body.error.field, field, res.text);
}

for (const kind of dbKinds()) {
  describe(`API: unknown query parameters, validation messages, ignored Idempotency-Key [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('refuses a query parameter a read does not take, naming it, rather than answering unfiltered', async () => {
      const events = '/api/v1/hub/governance-events';
      const bracket = await cp.request('GET', `${events}?type[]=tenant.config_changed`, { token: t.token });
      assertError(bracket, 400, 'unknown_parameter', 'type[]');
      assert.match(bracket.body.error.message, /this operation reads type, since, until, limit, cursor, tenant_id/);
      assertError(await cp.request('GET', `${events}?from=2020-01-01T00:00:00Z`, { token: t.token }), 400, 'unknown_parameter', 'from');
      const none = await cp.request('GET', '/api/v1/tenant?verbose=1', { token: t.token });
      assertError(none, 400, 'unknown_parameter', 'verbose');
      assert.match(none.body.error.message, /takes no query parameters/);
      // A parameter read once, given twice, is not silently reduced to one of its values.
      assertError(await cp.request('GET', '/api/v1/roster?limit=5&limit=500', { token: t.token }), 400, 'invalid_value', 'limit');
      // What the routes declare still works, repeated where it is a list.
      assert.equal((await cp.request('GET', `${events}?type=tenant.config_changed&type=auth.login&limit=5`, { token: t.token })).status, 200);
      assert.equal((await cp.request('GET', '/api/v1/llm/connectors?id=llm_0000000000000000&id=llm_1111111111111111&limit=10', { token: t.token })).status, 200);
      assert.equal((await cp.request('GET', '/api/v1/roster?archetype=eng&unmatched=true&limit=5', { token: t.token })).status, 200);
      assert.equal((await cp.request('GET', '/api/v1/telemetry/events?skill_id=claresia.core.translation&limit=5', { token: t.token })).status, 200);
      assert.equal((await cp.request('GET', '/api/v1/tenants?limit=5', { token: cp.operatorToken })).status, 200);
    });

    it('words validation errors as sentences naming the element by its index', async () => {
      const dup = await cp.request('POST', '/api/v1/skill-entitlement/archetypes', {
        token: t.token,
        body: { archetype: 'eng', skills: ['claresia.codewright.code-review', 'claresia.core.translation', 'claresia.codewright.code-review'] },
      });
      assertError(dup, 400, 'invalid_value', 'skills[2]');
      assert.equal(dup.body.error.message, 'skills[2] duplicates skills[0]; list each value once');
      const host = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta', ip_allowlist: ['203.0.113.0/24', '10.0.0.1/8'] } });
      assertError(host, 400, 'invalid_value', 'ip_allowlist[1]');
      assert.match(host.body.error.message, /^ip_allowlist\[1\] has host bits set; write the network address/);
      const empty = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: '' } });
      assertError(empty, 400, 'invalid_value', 'display_name');
      assert.equal(empty.body.error.message, 'display_name must not be empty');
      const type = await cp.request('POST', '/api/v1/identity/group-mappings', { token: t.token, body: { group: 7, role: 'member' } });
      assertError(type, 400, 'invalid_type', 'group');
      assert.equal(type.body.error.message, 'group must be a string');
      for (const r of [dup, host, empty, type]) assert.doesNotMatch(r.body.error.message, /must NOT|##|boolean schema/);
    });

    it('says Idempotency-Key-Ignored: true where a POST does not replay the key, and documents it', async () => {
      const csv = 'email,first_name,last_name,title,department,manager_email\nada@example.com,Ada,Lovelace,Engineer,Engineering,\n';
      const imported = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'Content-Type': 'text/csv', 'Idempotency-Key': 'k-roster-1' } });
      assert.ok(imported.status < 300, imported.text);
      assert.equal(imported.headers.get('idempotency-key-ignored'), 'true');
      // On a refusal too: the caller must not take the refusal as remembered.
      const refused = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: 'x', headers: { 'Content-Type': 'application/pdf', 'Idempotency-Key': 'k-roster-2' } });
      assert.equal(refused.status, 415, refused.text);
      assert.equal(refused.headers.get('idempotency-key-ignored'), 'true');
      const token = await cp.request('POST', '/api/v1/auth/token', {
        body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret },
        headers: { 'Idempotency-Key': 'k-token' },
      });
      assert.equal(token.headers.get('idempotency-key-ignored'), 'true', 'an anonymous POST has no caller to bind a key to');
      // A POST that replays its key says nothing of the kind, and one sent without a key neither.
      const mapped = await cp.request('POST', '/api/v1/identity/group-mappings', { token: t.token, body: { group: 'claresia-idem', role: 'member' }, headers: { 'Idempotency-Key': 'k-map' } });
      assert.equal(mapped.status, 201, mapped.text);
      assert.equal(mapped.headers.get('idempotency-key-ignored'), null);
      assert.equal((await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'Content-Type': 'text/csv' } })).headers.get('idempotency-key-ignored'), null);

      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      const csvOp = doc.paths['/api/v1/roster/csv'].post;
      for (const status of Object.keys(csvOp.responses)) assert.ok(csvOp.responses[status].headers?.['Idempotency-Key-Ignored'], `roster/csv ${status}`);
      const mapOp = doc.paths['/api/v1/identity/group-mappings'].post;
      for (const status of Object.keys(mapOp.responses)) assert.equal(mapOp.responses[status].headers?.['Idempotency-Key-Ignored'], undefined, `group-mappings ${status}`);
      assert.match(mapOp.parameters.find((p: any) => p.name === 'Idempotency-Key').description, /Idempotency-Key-Ignored: true/);
    });
  });
}
