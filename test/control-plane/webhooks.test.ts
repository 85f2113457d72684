import assert from 'node:assert/strict';
import { verifySignature } from '../../control-plane/src/webhooks/signature.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_WEBHOOK_RETRY_MS: '50', CLARESIA_WEBHOOK_MAX_RETRY_MS: '300', CLARESIA_WEBHOOK_TIMEOUT_MS: '2000' };
const SECRET = 'whsec-test-0123456789abcdef';
const ALL = ['user.archetype_assigned', 'user.created', 'user.deactivated', 'user.skill_entitlement_changed', 'user.updated'];

for (const kind of dbKinds()) {
  describe(`webhooks [${kind}]`, function () {
    this.timeout(90_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let receiver: WebhookReceiver;
    let dir: Directory;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown, tenant = t) => cp.request(method, path, { token: tenant.token, ...(body === undefined ? {} : { body }) });
    const deliveriesOf = async (id: string, status?: string) => (await api('GET', `/api/v1/webhooks/${id}/deliveries?limit=500${status ? `&status=${status}` : ''}`)).body.items as any[];

    before(async () => {
      restoreEnv = withEnv(FAST);
      receiver = await startWebhookReceiver();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      dir = await makeDirectory(cp, t);
    });
    after(async () => {
      await cp?.close();
      await receiver?.close();
      restoreEnv();
    });
    afterEach(() => receiver.answer(200));

    it('manages webhooks (secret write-only) and refuses bad input by field, writing nothing', async () => {
      const before = await cp.count('webhooks');
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ url: receiver.url, events: ['user.created', 'user.exploded'], secret: SECRET }, 'events[1]'],
        [{ url: receiver.url, events: [], secret: SECRET }, 'events'],
        [{ url: receiver.url, events: ['user.created'] }, 'secret'],
        [{ url: receiver.url, events: ['user.created'], secret: 'short' }, 'secret'],
        [{ url: 'not a url', events: ['user.created'], secret: SECRET }, 'url'],
        [{ url: receiver.url, events: ['user.created'], secret: SECRET, status: 'paused' }, 'status'],
      ];
      for (const [body, field] of cases) {
        const res = await api('POST', '/api/v1/webhooks', body);
        assert.equal(res.status, 400, `${field}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
      }
      assert.match((await api('POST', '/api/v1/webhooks', cases[0]![0])).body.error.message, /events\[1\]/);
      assert.equal(await cp.count('webhooks'), before);

      const created = await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.updated', 'user.created'], secret: SECRET });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(Object.keys(created.body).sort(), ['created_at', 'events', 'id', 'previous_secret_expires_at', 'secret_overlap_seconds', 'status', 'url']);
      assert.deepEqual(created.body.events, ['user.created', 'user.updated']);
      assert.equal(created.body.status, 'active');
      const row = await cp.db('webhooks').where({ id: created.body.id }).first();
      assert.ok(!row.secret_enc.includes(SECRET), 'sealed at rest');
      assert.ok(!JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id })).includes(SECRET));
      const patched = await api('PATCH', `/api/v1/webhooks/${created.body.id}`, { events: ['user.deactivated'], status: 'disabled' });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body.events, ['user.deactivated']);
      const bad = await api('PATCH', `/api/v1/webhooks/${created.body.id}`, { events: ['user.nope'] });
      assert.equal(bad.body.error.field, 'events[0]');
      const list = await api('GET', '/api/v1/webhooks');
      assert.ok(list.body.items.some((w: any) => w.id === created.body.id));
      const other = await cp.createTenant();
      assert.equal((await api('GET', `/api/v1/webhooks/${created.body.id}`, undefined, other)).status, 404, 'another tenant cannot see it');
      assert.equal((await api('DELETE', `/api/v1/webhooks/${created.body.id}`)).status, 204);
      assert.equal((await api('GET', `/api/v1/webhooks/${created.body.id}`)).status, 404);
    });

    it('delivers SCIM user events signed, with the event id, and lists the deliveries', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created', 'user.deactivated', 'user.updated'], secret: SECRET })).body;
      const s = scim(cp, dir);
      const u = await s('POST', '/Users', user('grace@acme.example'));
      assert.equal(u.status, 201, u.text);
      const off = await s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] });
      assert.equal(off.status, 200, off.text);
      await until('two deliveries', () => receiver.accepted().filter((r) => r.json?.data?.user_id === u.body.id).length >= 2);
      const got = receiver.accepted().filter((r) => r.json?.data?.user_id === u.body.id);
      assert.deepEqual(
        got.map((r) => r.json.type),
        ['user.created', 'user.deactivated'],
      );
      for (const r of got) {
        assert.equal(r.json.id, r.eventId, 'the header names the body event');
        assert.ok(verifySignature(SECRET, r.body, r.signature, Math.floor(Date.now() / 1000)), 'signature verifies');
        assert.ok(!verifySignature('another-secret-0123456', r.body, r.signature, Math.floor(Date.now() / 1000)));
        assert.ok(!verifySignature(SECRET, r.body.replace('grace', 'grac3'), r.signature, Math.floor(Date.now() / 1000)), 'a changed body does not verify');
        assert.ok(!verifySignature(SECRET, r.body, r.signature, Math.floor(Date.now() / 1000) + 3600), 'an old timestamp is refused');
        assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT/);
      }
      assert.equal(got[1]!.json.data.active, false);
      assert.equal(got[1]!.json.data.idp, 'okta');
      const list = await until('delivered', async () => {
        const items = await deliveriesOf(hook.id);
        return items.length === 2 && items.every((d) => d.status === 'delivered') && items;
      });
      assert.deepEqual(list.map((d: any) => d.event_type).sort(), ['user.created', 'user.deactivated']);
      assert.equal(list[0].attempts, 1);
      assert.equal(list[0].last_status_code, 200);
      assert.equal((await api('GET', `/api/v1/webhooks/${hook.id}/deliveries?status=bogus`)).body.error.field, 'status');
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('a receiver down for a while, then back, gets every event exactly once by event id', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ALL, secret: SECRET })).body;
      await receiver.down();
      const s = scim(cp, dir);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const u = await s('POST', '/Users', user(`down${i}@acme.example`));
        assert.equal(u.status, 201, u.text);
        ids.push(u.body.id);
      }
      for (const id of ids.slice(0, 3)) assert.equal((await s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] })).status, 200);
      const events = (await cp.db('webhook_deliveries').where({ webhook_id: hook.id }).select('event_id')).map((r: any) => r.event_id).sort();
      assert.equal(events.length, 9);
      await until('several failed attempts', async () => (await deliveriesOf(hook.id)).every((d) => d.attempts >= 2));
      const failing = await deliveriesOf(hook.id);
      assert.ok(failing.every((d) => d.status === 'pending' && d.last_error && d.next_attempt_at), JSON.stringify(failing[0]));
      // Then it answers 503 for a while, then it is healthy.
      await receiver.up();
      receiver.answer(503);
      await until('a 503 seen', () => receiver.received.some((r) => r.status === 503));
      receiver.answer(200);
      await until('all delivered', async () => (await deliveriesOf(hook.id, 'delivered')).length === 9);
      const accepted = receiver.accepted().filter((r) => events.includes(r.eventId));
      assert.deepEqual(accepted.map((r) => r.eventId).sort(), events, 'every event, each accepted once');
      // Each job is deleted just after its delivery is recorded.
      await until('the queue drained', async () => (await cp.count('jobs', { queue: 'webhook.deliver' })) === 0);
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('a 4xx answer is retried until the receiver takes the event; 410 fails that delivery at once and leaves the webhook active', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET })).body;
      // A receiver refusing the signature (say, mid-rotation), then a WAF's 403, then fixed.
      receiver.answer(401);
      const u = await scim(cp, dir)('POST', '/Users', user('refused@acme.example'));
      assert.equal(u.status, 201, u.text);
      const byUser = () => receiver.received.filter((r) => r.json?.data?.user_id === u.body.id);
      await until('two 401s', () => byUser().filter((r) => r.status === 401).length >= 2);
      const [retrying] = await deliveriesOf(hook.id);
      assert.equal(retrying.status, 'pending', JSON.stringify(retrying));
      assert.equal(retrying.last_status_code, 401);
      assert.ok(retrying.next_attempt_at, 'a next attempt is planned');
      receiver.answer(403);
      await until('a 403', () => byUser().some((r) => r.status === 403));
      receiver.answer(200);
      const [done] = await until('delivered after the 4xx', async () => {
        const items = await deliveriesOf(hook.id, 'delivered');
        return items.length === 1 && items;
      });
      assert.ok(done.attempts >= 4, `attempts ${done.attempts}`);
      assert.equal(new Set(byUser().map((r) => r.eventId)).size, 1, 'one event id across every attempt');

      receiver.answer(410);
      const gone = await scim(cp, dir)('POST', '/Users', user('gone@acme.example'));
      const [d] = await until('failed', async () => {
        const items = await deliveriesOf(hook.id, 'failed');
        return items.length === 1 && items;
      });
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status_code, 410);
      assert.equal(d.event_id, receiver.received.find((r) => r.json?.data?.user_id === gone.body.id)!.eventId);
      assert.equal((await api('GET', `/api/v1/webhooks/${hook.id}`)).body.status, 'active', 'a 410 does not disable the webhook');
      receiver.answer(200);
      const next = await scim(cp, dir)('POST', '/Users', user('after-gone@acme.example'));
      await until('the next event delivered', () => receiver.accepted().some((r) => r.json?.data?.user_id === next.body.id));
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('a disabled webhook gets no new deliveries', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: SECRET })).body;
      await api('PATCH', `/api/v1/webhooks/${hook.id}`, { status: 'disabled' });
      assert.equal((await scim(cp, dir)('POST', '/Users', user('after@acme.example'))).status, 201);
      assert.equal((await deliveriesOf(hook.id)).length, 0);
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('sends user.archetype_assigned and user.skill_entitlement_changed from roster and entitlement changes', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.archetype_assigned', 'user.skill_entitlement_changed'], secret: SECRET })).body;
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'finance', skills: ['claresia.core.meeting-notes'] })).status, 201);
      const csv = ['email,first_name,last_name,title,department,manager_email', 'fin@acme.example,Fin,A,Accountant,Finance,'].join('\n');
      assert.equal((await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: csv, headers: { 'content-type': 'text/csv' } })).status, 200);
      assert.equal((await api('PUT', '/api/v1/roster/members/fin@acme.example/archetype', { archetype: 'finance' })).status, 200);
      await until('archetype event', () => receiver.accepted().some((r) => r.json?.type === 'user.archetype_assigned' && r.json.data.email === 'fin@acme.example' && r.json.data.archetype === 'finance'));
      assert.equal((await api('PUT', '/api/v1/skill-entitlement/archetypes/finance', { skills: ['claresia.core.doc-summary', 'claresia.core.meeting-notes'] })).status, 200);
      const changed = await until('entitlement event', () =>
        receiver.accepted().find((r) => r.json?.type === 'user.skill_entitlement_changed' && r.json.data.email === 'fin@acme.example' && r.json.data.reason === 'entitlement_changed'),
      );
      assert.deepEqual(changed.json.data.skills, ['claresia.core.doc-summary', 'claresia.core.meeting-notes']);
      assert.deepEqual(changed.json.data.previous_skills, ['claresia.core.meeting-notes']);

      // A de-provisioned person loses every skill; re-activated, gets them back.
      const s = scim(cp, dir);
      const u = await s('POST', '/Users', user('fin@acme.example', { title: 'Accountant' }));
      assert.equal(u.status, 201, u.text);
      const setActive = (value: boolean) => s('PATCH', `/Users/${u.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value }] });
      assert.equal((await setActive(false)).status, 200);
      const off = await until('deactivated event', () => receiver.accepted().find((r) => r.json?.type === 'user.skill_entitlement_changed' && r.json.data.email === 'fin@acme.example' && r.json.data.reason === 'deactivated'));
      assert.deepEqual(off.json.data.skills, []);
      assert.deepEqual(off.json.data.previous_skills, ['claresia.core.doc-summary', 'claresia.core.meeting-notes']);
      assert.equal((await setActive(true)).status, 200);
      const on = await until('reactivated event', () => receiver.accepted().find((r) => r.json?.type === 'user.skill_entitlement_changed' && r.json.data.email === 'fin@acme.example' && r.json.data.reason === 'reactivated'));
      assert.deepEqual(on.json.data.skills, ['claresia.core.doc-summary', 'claresia.core.meeting-notes']);
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });
  });

  describe(`webhook retry horizon [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let receiver: WebhookReceiver;
    let restoreEnv = () => {};
    before(async () => {
      restoreEnv = withEnv({ ...FAST, CLARESIA_WEBHOOK_RETRY_HORIZON_SECONDS: '1' });
      receiver = await startWebhookReceiver();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await receiver?.close();
      restoreEnv();
    });

    it('retries 5xx with backoff until the horizon after the event, then marks the delivery failed', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t);
      const hook = (await cp.request('POST', '/api/v1/webhooks', { token: t.token, body: { url: receiver.url, events: ['user.created'], secret: SECRET } })).body;
      receiver.answer(500);
      await scim(cp, dir)('POST', '/Users', user('late@acme.example'));
      const [d] = await until('failed', async () => {
        const items = (await cp.request('GET', `/api/v1/webhooks/${hook.id}/deliveries?status=failed`, { token: t.token })).body.items;
        return items.length === 1 && items;
      });
      assert.ok(d.attempts >= 3, `retried (${d.attempts} attempts)`);
      assert.equal(d.last_status_code, 500);
      assert.match(d.last_error, /gave up 1 s after the event/);
      const times = receiver.received.map((r) => r.at);
      const gaps = times.slice(1).map((x, i) => x - times[i]!);
      assert.ok(gaps.length >= 2 && gaps.at(-2)! >= gaps[0]! * 0.9 - 5, `gaps grow: ${gaps.join(', ')}`);
      assert.ok(times.at(-1)! - times[0]! <= 1500, 'no attempt long after the horizon');
      await until('the queue drained', async () => (await cp.count('jobs')) === 0);
    });
  });
}
