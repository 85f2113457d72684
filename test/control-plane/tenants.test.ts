import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

const valid = { slug: 'acme', display_name: 'Acme Corp', region: 'eu-west-1', deployment_mode: 'B', billing_contact: 'Billing@Acme.example' };

for (const kind of dbKinds()) {
  describe(`tenants [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('creates a tenant, returns its first credentials once, and normalises what it stores', async () => {
      const res = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body: valid });
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^tnt_[0-9a-f]{16}$/);
      assert.equal(res.body.billing_contact, 'billing@acme.example');
      assert.equal(res.body.support_tier, 'standard');
      assert.equal(res.body.status, 'onboarding');
      assert.match(res.body.client_secret, /^cs_/);
      const read = await cp.request('GET', `/api/v1/tenants/${res.body.id}`, { token: cp.operatorToken });
      assert.equal(read.status, 200);
      assert.equal(read.body.client_secret, null, 'the secret is shown once');
      assert.equal(read.body.client_id, res.body.client_id);
      const stored = await cp.db('service_accounts').where({ client_id: res.body.client_id }).first();
      assert.notEqual(stored.secret_hash, res.body.client_secret);
      assert.ok(!JSON.stringify(stored).includes(res.body.client_secret), 'only a hash is stored');
      const events = await cp.db('governance_events').where({ tenant_id: res.body.id });
      assert.deepEqual(events.map((e: any) => e.type), ['tenant.created']);
      assert.ok(!JSON.stringify(events).includes(res.body.client_secret), 'no secret in the audit trail');
    });

    it('rejects bad input with the field named, writing nothing', async () => {
      const cases: Array<[unknown, number, string, string]> = [
        [{ ...valid, slug: 'acme' }, 409, 'slug', 'conflict'],
        [{ ...valid, slug: 'Bad Slug' }, 400, 'slug', 'invalid_value'],
        [{ ...valid, region: 'mars-1' }, 400, 'region', 'invalid_value'],
        [{ ...valid, deployment_mode: 'D' }, 400, 'deployment_mode', 'invalid_value'],
        [{ ...valid, slug: 'other', billing_contact: 'not-an-email' }, 400, 'billing_contact', 'invalid_value'],
        [{ ...valid, slug: 'other', display_name: 42 }, 400, 'display_name', 'invalid_type'],
        // Checked as stored: trimmed, a name of spaces alone is empty.
        [{ ...valid, slug: 'other', display_name: ' \t ' }, 400, 'display_name', 'invalid_value'],
        [{ ...valid, slug: 'other', colour: 'red' }, 400, 'colour', 'unknown_field'],
        [{ display_name: 'x', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'a@b.example' }, 400, 'slug', 'missing_field'],
        [[1, 2], 400, 'body', 'invalid_json'],
      ];
      const before = { tenants: await cp.count('tenants'), events: await cp.count('governance_events'), accounts: await cp.count('service_accounts') };
      for (const [body, status, field, code] of cases) {
        const res = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body });
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.error.field, field, JSON.stringify(res.body));
        assert.equal(res.body.error.code, code, JSON.stringify(res.body));
      }
      const malformed = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, raw: '{"slug": "x",' });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.code, 'invalid_json');
      assert.deepEqual(
        { tenants: await cp.count('tenants'), events: await cp.count('governance_events'), accounts: await cp.count('service_accounts') },
        before,
      );
    });

    it('accepts a value that is valid once normalised as the catalog says, and stores it normalised', async () => {
      const res = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body: { ...valid, slug: 'spaced', display_name: '  Spaced Inc ', billing_contact: ' Billing@Spaced.EXAMPLE ' } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.display_name, 'Spaced Inc');
      assert.equal(res.body.billing_contact, 'billing@spaced.example');
      const blank = await cp.request('PATCH', `/api/v1/tenants/${res.body.id}`, { token: cp.operatorToken, body: { display_name: '   ' } });
      assert.equal(blank.status, 400);
      assert.equal(blank.body.error.field, 'display_name');
      assert.equal((await cp.request('GET', `/api/v1/tenants/${res.body.id}`, { token: cp.operatorToken })).body.display_name, 'Spaced Inc');
    });

    it('updates in place, records the change, refuses immutable fields', async () => {
      const t = await cp.createTenant();
      const patch = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: '  Renamed  ' } });
      assert.equal(patch.status, 200);
      assert.equal(patch.body.display_name, 'Renamed');
      // The support plan is the operator's to change (tenants-support-tier.test.ts).
      const tier = await cp.request('PATCH', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken, body: { support_tier: 'premium' } });
      assert.equal(tier.status, 200, tier.text);
      assert.equal(tier.body.support_tier, 'premium');
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'tenant.config_changed' }).orderBy('seq');
      assert.deepEqual(ev.map((e: any) => Object.keys(e.data.changes)), [['display_name'], ['support_tier']]);
      assert.deepEqual(ev[1].data.changes.support_tier, { from: 'standard', to: 'premium' });
      const eventsBefore = await cp.count('governance_events', { tenant_id: t.id });
      const immut = await cp.request('PATCH', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken, body: { region: 'us-east-1' } });
      assert.equal(immut.status, 400);
      assert.equal(immut.body.error.code, 'immutable_field');
      assert.equal(immut.body.error.field, 'region');
      const nulled = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { display_name: null } });
      assert.equal(nulled.status, 400);
      assert.equal(nulled.body.error.field, 'display_name');
      const noop = await cp.request('PATCH', '/api/v1/tenant', { token: t.token, body: { support_tier: 'premium' } });
      assert.equal(noop.status, 200);
      assert.equal(await cp.count('governance_events', { tenant_id: t.id }), eventsBefore, 'no-op and rejected updates write no event');
      const reset = await cp.request('PATCH', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken, body: { support_tier: null } });
      assert.equal(reset.body.support_tier, 'standard', 'clearing an optional attribute restores its default');
    });

    it('lists tenants by id in one request and pages with a cursor', async () => {
      const a = await cp.createTenant();
      const b = await cp.createTenant();
      const both = await cp.request('GET', `/api/v1/tenants?id=${a.id}&id=${b.id}&id=tnt_missing`, { token: cp.operatorToken });
      assert.equal(both.status, 200);
      assert.deepEqual(both.body.items.map((x: any) => x.id).sort(), [a.id, b.id].sort());
      // A later service account does not replace the first one the tenant came with.
      await cp.db('service_accounts').insert({ id: 'sa_later', tenant_id: a.id, name: 'later', client_id: 'cl_later', secret_hash: 'x', created_at: new Date(Date.now() + 60_000) });
      const listed = await cp.request('GET', `/api/v1/tenants?id=${a.id}&id=${b.id}`, { token: cp.operatorToken });
      for (const item of listed.body.items) {
        const one = await cp.request('GET', `/api/v1/tenants/${item.id}`, { token: cp.operatorToken });
        assert.deepEqual(item, one.body, 'a listed tenant reads as it does by id');
        assert.equal(item.client_id, item.id === a.id ? a.clientId : b.clientId);
        assert.equal(item.client_secret, null);
      }
      const page1 = await cp.request('GET', '/api/v1/tenants?limit=1', { token: cp.operatorToken });
      assert.equal(page1.body.items.length, 1);
      assert.ok(page1.body.next_cursor);
      const page2 = await cp.request('GET', `/api/v1/tenants?limit=1&cursor=${page1.body.next_cursor}`, { token: cp.operatorToken });
      assert.notEqual(page2.body.items[0].id, page1.body.items[0].id);
    });

    it('offboards: the tenant reads as gone, its tokens stop working, its slug is free again', async () => {
      const t = await cp.createTenant();
      const del = await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken });
      assert.equal(del.status, 204);
      assert.equal((await cp.request('GET', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 404);
      const me = await cp.request('GET', '/api/v1/tenant', { token: t.token });
      assert.equal(me.status, 401);
      const login = await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: t.clientSecret } });
      assert.equal(login.status, 401);
      const again = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body: { ...valid, slug: t.slug } });
      assert.equal(again.status, 201);
      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 404);
    });

    it('answers a retried create with the same Idempotency-Key once, and gives the retry the secret it would have lost', async () => {
      const body = { ...valid, slug: 'idem-co' };
      const headers = { 'Idempotency-Key': 'create-idem-co-1' };
      const answers = await Promise.all([
        cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body, headers }),
        cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body, headers }),
      ]);
      // Whichever ran second waited for the first and got its answer, client_secret included.
      const first = answers.find((a) => a.headers.get('idempotent-replayed') === null)!;
      const second = answers.find((a) => a !== first)!;
      assert.ok(first, answers.map((a) => a.text).join('\n'));
      assert.equal(first.status, 201, first.text);
      assert.equal(second.status, 201, second.text);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.headers.get('location'), `/api/v1/tenants/${first.body.id}`);
      assert.deepEqual(second.body, first.body);
      assert.equal(await cp.count('tenants', { slug: 'idem-co' }), 1);
      const stored = await cp.db('idempotency_keys').where({ key: 'create-idem-co-1' }).first();
      assert.ok(!stored.response_enc.includes(first.body.client_secret), 'stored replies are encrypted');
      assert.equal(stored.holds_secret, true, 'and kept one hour, not 24');
      const misuse = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body: { ...body, display_name: 'Other' }, headers });
      assert.equal(misuse.status, 422);
      assert.equal(misuse.body.error.field, 'Idempotency-Key');
    });

    it('serves the OpenAPI document derived from the catalog', async () => {
      const res = await cp.request('GET', '/api/v1/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.1.0');
      const create = res.body.components.schemas.TenantCreate;
      assert.deepEqual(create.required.sort(), ['billing_contact', 'deployment_mode', 'display_name', 'region', 'slug']);
      assert.ok(!('id' in create.properties), 'computed attributes are not inputs');
      assert.ok(!('slug' in res.body.components.schemas.TenantUpdate.properties), 'forceNew attributes are not updatable');
      assert.ok(res.body.paths['/api/v1/tenants/{id}'].patch);
      assert.ok(res.body.paths['/api/v1/auth/token'].post);
      assert.ok(res.body.paths['/api/v1/hub/governance-events:verify'].get);
      // Who may call what, as the router enforces it.
      const role = (path: string, method: string) => res.body.paths[path]?.[method]?.['x-claresia-role'];
      assert.equal(role('/api/v1/auth/revoke', 'post'), 'member');
      assert.equal(role('/api/v1/hub/governance-events:verify', 'get'), 'auditor');
      assert.equal(role('/api/v1/llm/connectors', 'post'), 'tenant_admin');
      assert.match(res.body.paths['/api/v1/llm/connectors'].post.description, /Needs the tenant_admin role/);
      assert.equal(role('/api/v1/tenants', 'post'), undefined, 'operator-only operations name no tenant role');
    });

    it('answers health, readiness and metrics', async () => {
      assert.equal((await cp.request('GET', '/healthz')).status, 200);
      const ready = await cp.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ready');
      assert.match(await cp.metrics(), /claresia_http_requests_total\{method="POST",route="\/api\/v1\/tenants",status="201"\}/);
    });
  });
}
