import assert from 'node:assert/strict';
import { verifySignature } from '../../control-plane/src/webhooks/signature.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type Received, type WebhookReceiver } from '../support/webhook-receiver.js';
import { makeDirectory, scim, user, type Directory } from './scim/helpers.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_WEBHOOK_RETRY_MS: '50', CLARESIA_WEBHOOK_MAX_RETRY_MS: '300', CLARESIA_WEBHOOK_TIMEOUT_MS: '2000' };
const OLD = 'whsec-old-0123456789abcdef';
const NEW = 'whsec-new-0123456789abcdef';
const NEWER = 'whsec-newer-0123456789abcd';
const DAY_MS = 24 * 3600 * 1000;

const nowS = () => Math.floor(Date.now() / 1000);
const v1s = (r: Received) => r.signature.split(',').filter((p) => p.startsWith('v1='));
const verifies = (secret: string, r: Received) => verifySignature(secret, r.body, r.signature, nowS());
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, any>;

for (const kind of dbKinds()) {
  describe(`webhook secret rotation and redelivery [${kind}]`, function () {
    this.timeout(90_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let receiver: WebhookReceiver;
    let dir: Directory;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown, tenant = t) => cp.request(method, path, { token: tenant.token, ...(body === undefined ? {} : { body }) });
    const deliveriesOf = async (id: string, status?: string) => (await api('GET', `/api/v1/webhooks/${id}/deliveries?limit=500${status ? `&status=${status}` : ''}`)).body.items as any[];
    const newUser = async (email: string) => {
      const u = await scim(cp, dir)('POST', '/Users', user(email));
      assert.equal(u.status, 201, u.text);
      return u.body.id as string;
    };
    const requestsFor = (userId: string) => receiver.received.filter((r) => r.json?.data?.user_id === userId);
    const eventsOf = async (type: string) => (await cp.db('governance_events').where({ tenant_id: t.id, type }).orderBy('seq')).map((e: any) => ({ ...e, data: json(e.data) }));

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

    it('after a rotation, signs each attempt as it goes out with the new and the previous secret until the overlap ends', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD })).body;
      receiver.answer(500);
      const first = await newUser('rotating@acme.example');
      await until('an attempt before the rotation', () => requestsFor(first).length >= 1);
      const early = requestsFor(first)[0]!;
      assert.equal(v1s(early).length, 1, early.signature);
      assert.ok(verifies(OLD, early));

      // The overlap is asked for with the secret, and kept for the next rotation.
      const rotated = await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEW, secret_overlap_seconds: DAY_MS / 1000 });
      assert.equal(rotated.status, 200, rotated.text);
      assert.ok(!JSON.stringify(rotated.body).includes('whsec'), 'no secret in the answer');
      const row = await cp.db('webhooks').where({ id: hook.id }).first();
      assert.ok(row.previous_secret_enc && !row.previous_secret_enc.includes(OLD) && !row.secret_enc.includes(NEW), 'both sealed at rest');
      const until24h = new Date(row.previous_secret_expires_at).getTime() - Date.now();
      assert.ok(until24h > DAY_MS - 60_000 && until24h <= DAY_MS, `overlap ends in ${until24h} ms`);
      assert.equal(rotated.body.secret_overlap_seconds, DAY_MS / 1000);
      assert.equal(rotated.body.previous_secret_expires_at, new Date(row.previous_secret_expires_at).toISOString(), 'the answer says until when the old secret signs');
      assert.equal((await api('GET', `/api/v1/webhooks/${hook.id}`)).body.previous_secret_expires_at, rotated.body.previous_secret_expires_at, 'and so does a read');
      const [updated] = (await eventsOf('webhook.updated')).filter((e) => e.subject === hook.id);
      assert.equal(updated!.data.changes.secret, 'replaced');
      assert.deepEqual(updated!.data.changes.secret_overlap_seconds, { from: 0, to: DAY_MS / 1000 });
      assert.equal(updated!.data.previous_secret_signs_until, new Date(row.previous_secret_expires_at).toISOString());
      assert.ok(!JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id })).includes('whsec'), 'no secret in the chain');

      // The retry of the event made before the rotation, and a new event: both carry both signatures, the new one first.
      // Two more attempts recorded after the PATCH answered: the later one started after it, and so does every attempt after it.
      const attemptsNow = async () => (await deliveriesOf(hook.id))[0].attempts as number;
      const a0 = await attemptsNow();
      await until('two attempts after the rotation', async () => (await attemptsNow()) >= a0 + 2);
      const seen = requestsFor(first).length;
      receiver.answer(200);
      const second = await newUser('rotated@acme.example');
      const retried = await until('the retry accepted', () => requestsFor(first).slice(seen).find((r) => r.status === 200));
      const fresh = await until('the new event accepted', () => receiver.accepted().find((r) => r.json?.data?.user_id === second));
      for (const r of [retried, fresh]) {
        assert.equal(v1s(r).length, 2, r.signature);
        assert.ok(verifies(NEW, r), 'a receiver that took the new secret accepts it');
        assert.ok(verifies(OLD, r), 'a receiver still on the old secret accepts it');
        assert.ok(!verifies('whsec-other-0123456789abc', r));
        assert.ok(!verifySignature(NEW, r.body, `${r.signature.split(',')[0]},${v1s(r)[1]}`, nowS()), 'the first v1 is the new secret’s');
      }
      assert.equal(retried.eventId, early.eventId);

      // Rotating again within the day keeps only the secret just replaced.
      assert.equal((await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEWER })).status, 200);
      const third = await newUser('rotated-twice@acme.example');
      const twice = await until('delivered after the second rotation', () => receiver.accepted().find((r) => r.json?.data?.user_id === third));
      assert.equal(v1s(twice).length, 2);
      assert.ok(verifies(NEWER, twice) && verifies(NEW, twice) && !verifies(OLD, twice));

      // The overlap over, one signature, and the previous secret is no longer kept.
      await cp.db('webhooks').where({ id: hook.id }).update({ previous_secret_expires_at: new Date(Date.now() - 1000) });
      const fourth = await newUser('after-overlap@acme.example');
      const single = await until('delivered after the overlap', () => receiver.accepted().find((r) => r.json?.data?.user_id === fourth));
      assert.equal(v1s(single).length, 1, single.signature);
      assert.ok(verifies(NEWER, single) && !verifies(NEW, single));
      const after = await cp.db('webhooks').where({ id: hook.id }).first();
      assert.deepEqual([after.previous_secret_enc, after.previous_secret_key_id, after.previous_secret_expires_at], [null, null, null]);
      assert.equal((await api('GET', `/api/v1/webhooks/${hook.id}`)).body.previous_secret_expires_at, null);

      // Re-sending the same secret (a Terraform re-apply) is no rotation.
      const events = (await eventsOf('webhook.updated')).length;
      assert.equal((await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEWER })).status, 200);
      assert.equal((await cp.db('webhooks').where({ id: hook.id }).first()).previous_secret_enc, null);
      assert.equal((await eventsOf('webhook.updated')).length, events);
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('rotates without an overlap unless asked: one v1 under the new secret, the header receivers were written to', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD })).body;
      assert.equal(hook.secret_overlap_seconds, 0);
      assert.equal(hook.previous_secret_expires_at, null);
      const rotated = await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEW });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.previous_secret_expires_at, null);
      assert.equal((await cp.db('webhooks').where({ id: hook.id }).first()).previous_secret_enc, null, 'the replaced secret is not kept');
      const [updated] = (await eventsOf('webhook.updated')).filter((e) => e.subject === hook.id);
      assert.equal(updated!.data.previous_secret_signs_until, null);
      const uid = await newUser('no-overlap@acme.example');
      const got = await until('delivered', () => receiver.accepted().find((r) => r.json?.data?.user_id === uid));
      assert.equal(v1s(got).length, 1, got.signature);
      // The receiver check this README documented until the overlap existed: one v1, the last one read.
      const lastV1 = new Map(got.signature.split(',').map((kv) => kv.split('=', 2) as [string, string])).get('v1');
      assert.equal(lastV1, v1s(got)[0]!.slice(3));
      assert.ok(verifies(NEW, got) && !verifies(OLD, got));
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('ends a running overlap when the overlap is lowered (a leaked secret), and refuses a bad overlap by field, changing nothing', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD, secret_overlap_seconds: 3600 })).body;
      assert.equal(hook.secret_overlap_seconds, 3600);
      const rotated = (await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEW })).body;
      const end = new Date(rotated.previous_secret_expires_at).getTime() - Date.now();
      assert.ok(end > 3_540_000 && end <= 3_600_000, `the stored overlap applies: ${end} ms`);

      const before = await cp.db('webhooks').where({ id: hook.id }).first();
      const events = await cp.count('governance_events', { tenant_id: t.id, type: 'webhook.updated' });
      for (const bad of [-1, 604801, 1.5, '60', null]) {
        const r = await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEWER, secret_overlap_seconds: bad });
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
        assert.equal(r.body.error.field, 'secret_overlap_seconds', r.text);
      }
      assert.deepEqual(await cp.db('webhooks').where({ id: hook.id }).first(), before, 'nothing changed');
      assert.equal(await cp.count('governance_events', { tenant_id: t.id, type: 'webhook.updated' }), events);

      // Raising it does not lengthen the running overlap; lowering it shortens it; 0 ends it.
      const raised = (await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret_overlap_seconds: 7200 })).body;
      assert.equal(raised.previous_secret_expires_at, rotated.previous_secret_expires_at);
      const lowered = (await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret_overlap_seconds: 60 })).body;
      const left = new Date(lowered.previous_secret_expires_at).getTime() - Date.now();
      assert.ok(left > 0 && left <= 60_000, `${left} ms`);
      const ended = await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret_overlap_seconds: 0 });
      assert.equal(ended.status, 200, ended.text);
      assert.equal(ended.body.previous_secret_expires_at, null);
      const row = await cp.db('webhooks').where({ id: hook.id }).first();
      assert.deepEqual([row.previous_secret_enc, row.previous_secret_expires_at], [null, null], 'the leaked secret is not kept');
      const [last] = (await eventsOf('webhook.updated')).filter((e) => e.subject === hook.id).slice(-1);
      assert.deepEqual(last!.data, { changes: { secret_overlap_seconds: { from: 60, to: 0 } }, previous_secret_signs_until: null });
      const uid = await newUser('leaked@acme.example');
      const got = await until('delivered', () => receiver.accepted().find((r) => r.json?.data?.user_id === uid));
      assert.equal(v1s(got).length, 1, got.signature);
      assert.ok(verifies(NEW, got) && !verifies(OLD, got), 'the replaced secret no longer signs');

      // With a running overlap, a rotation that sends 0 with the new secret keeps nothing.
      await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEWER, secret_overlap_seconds: 3600 });
      assert.notEqual((await api('GET', `/api/v1/webhooks/${hook.id}`)).body.previous_secret_expires_at, null);
      const leak = (await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: OLD, secret_overlap_seconds: 0 })).body;
      assert.equal(leak.previous_secret_expires_at, null);
      assert.equal((await cp.db('webhooks').where({ id: hook.id }).first()).previous_secret_enc, null);
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('redelivers a failed delivery on request: same event and delivery id, current secret, audited; refuses what it must, by field', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD })).body;
      receiver.answer(410);
      const uid = await newUser('redeliver@acme.example');
      const [failed] = await until('failed', async () => {
        const items = await deliveriesOf(hook.id, 'failed');
        return items.length === 1 && items;
      });
      assert.equal(failed.attempts, 1);
      const path = `/api/v1/webhooks/${hook.id}/deliveries/${failed.id}`;
      assert.deepEqual((await api('GET', path)).body, failed);

      // The receiver is fixed and the secret rotated meanwhile.
      receiver.answer(200);
      assert.equal((await api('PATCH', `/api/v1/webhooks/${hook.id}`, { secret: NEW })).status, 200);
      const before = await cp.count('governance_events', { tenant_id: t.id, type: 'webhook.delivery_retried' });
      const res = await api('POST', `${path}:retry`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, failed.id);
      assert.equal(res.body.status, 'pending');
      assert.equal(res.body.attempts, 0);
      assert.equal(res.body.failed_at, null);
      assert.match(res.body.redelivered_at, /^\d{4}-/);
      const got = await until('redelivered', () => receiver.accepted().find((r) => r.json?.data?.user_id === uid));
      assert.equal(got.eventId, failed.event_id, 'the same event id, for receivers that deduplicate');
      assert.ok(verifies(NEW, got) && !verifies(OLD, got), 'signed as it went out, after the rotation');
      const done = await until('delivered', async () => {
        const d = (await api('GET', path)).body;
        return d.status === 'delivered' && d;
      });
      assert.equal(done.attempts, 1);
      assert.equal(done.last_status_code, 200);
      const [audit] = (await eventsOf('webhook.delivery_retried')).slice(before);
      assert.equal(audit!.subject, hook.id);
      assert.deepEqual(
        { ...audit!.data },
        { delivery_id: failed.id, event_id: failed.event_id, event_type: 'user.created', previous_status: 'failed', previous_attempts: 1, previous_status_code: 410 },
      );

      // A delivered one may be sent again too (a receiver that lost it); a pending one is being retried already.
      receiver.answer(500);
      assert.equal((await api('POST', `${path}:retry`)).status, 200);
      await until('an attempt of the second redelivery', async () => (await api('GET', path)).body.attempts >= 1);
      const pending = await api('POST', `${path}:retry`);
      assert.equal(pending.status, 409, pending.text);
      assert.equal(pending.body.error.field, 'delivery_id');
      assert.match(pending.body.error.message, /pending/);

      // Unknown ids, another webhook's path, another tenant: 404 by field, nothing written.
      const other = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.updated'], secret: OLD })).body;
      const stranger = await cp.createTenant();
      const events = await cp.count('governance_events', { type: 'webhook.delivery_retried' });
      const notFound: Array<[string, TenantFixture, string]> = [
        [`/api/v1/webhooks/${hook.id}/deliveries/dlv_nope:retry`, t, 'delivery_id'],
        [`/api/v1/webhooks/${other.id}/deliveries/${failed.id}:retry`, t, 'delivery_id'],
        [`/api/v1/webhooks/whk_nope/deliveries/${failed.id}:retry`, t, 'id'],
        [`${path}:retry`, stranger, 'id'],
      ];
      for (const [p, tenant, field] of notFound) {
        const r = await api('POST', p, undefined, tenant);
        assert.equal(r.status, 404, `${p}: ${r.text}`);
        assert.equal(r.body.error.field, field, p);
      }
      assert.equal((await api('GET', path, undefined, stranger)).status, 404);
      assert.equal(await cp.count('governance_events', { type: 'webhook.delivery_retried' }), events);

      // A disabled webhook gets nothing, redeliveries included.
      receiver.answer(410);
      await until('failed again', async () => (await api('GET', path)).body.status === 'failed');
      await api('PATCH', `/api/v1/webhooks/${hook.id}`, { status: 'disabled' });
      const disabled = await api('POST', `${path}:retry`);
      assert.equal(disabled.status, 409, disabled.text);
      assert.equal(disabled.body.error.field, 'status');
      assert.equal((await api('GET', path)).body.status, 'failed', 'unchanged');
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
      await api('DELETE', `/api/v1/webhooks/${other.id}`);
    });

    it('sends again the failed deliveries of a time range after an outage; refuses bad ranges by field, changing nothing', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD })).body;
      const since = new Date(Date.now() - 1000).toISOString();
      receiver.answer(410);
      for (const i of [1, 2, 3]) await newUser(`outage${i}@acme.example`);
      const failed = await until('three failed', async () => {
        const items = await deliveriesOf(hook.id, 'failed');
        return items.length === 3 && items.reverse();
      });
      const path = `/api/v1/webhooks/${hook.id}/deliveries:retry`;
      const events = () => cp.count('governance_events', { tenant_id: t.id, type: 'webhook.deliveries_retried' });
      const before = await events();
      const bad: Array<[unknown, string]> = [
        [{}, 'since'],
        [{ since: 'yesterday' }, 'since'],
        [{ since: '2026-01-01' }, 'since'],
        [{ since, until: since }, 'until'],
        [{ since, until: 'soon' }, 'until'],
        [{ since, status: 'failed' }, 'status'],
        [{ since, after: '' }, 'after'],
        [{ since, after: 'dlv_nope' }, 'after'],
      ];
      for (const [body, field] of bad) {
        const r = await api('POST', path, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.field, field, r.text);
      }
      await api('PATCH', `/api/v1/webhooks/${hook.id}`, { status: 'disabled' });
      const disabled = await api('POST', path, { since });
      assert.equal(disabled.status, 409, disabled.text);
      assert.equal(disabled.body.error.field, 'status');
      await api('PATCH', `/api/v1/webhooks/${hook.id}`, { status: 'active' });
      assert.equal((await deliveriesOf(hook.id, 'failed')).length, 3, 'nothing changed');
      assert.equal(await events(), before);

      // The range ends before the third event: the first two only, oldest first.
      receiver.answer(200);
      const some = await api('POST', path, { since, until: failed[2].created_at });
      assert.equal(some.status, 200, some.text);
      assert.deepEqual(some.body, { redelivered: 2, delivery_ids: [failed[0].id, failed[1].id], more: false, next_after: null });
      const rest = await api('POST', path, { since });
      assert.deepEqual(rest.body, { redelivered: 1, delivery_ids: [failed[2].id], more: false, next_after: null });
      await until('all delivered', async () => (await deliveriesOf(hook.id, 'delivered')).length === 3);
      const accepted = new Set(receiver.accepted().map((r) => r.eventId));
      for (const d of failed) assert.ok(accepted.has(d.event_id), d.event_id);
      const again = await api('POST', path, { since });
      assert.deepEqual(again.body, { redelivered: 0, delivery_ids: [], more: false, next_after: null });
      assert.equal(await events(), before + 2, 'one event per call that sent something');
      const [last] = (await eventsOf('webhook.deliveries_retried')).slice(-1);
      assert.deepEqual(last!.data, { since, until: null, after: null, count: 1, more: false });
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
    });

    it('moves through a range past one batch with after, while the receiver keeps failing what it is sent', async () => {
      const hook = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created'], secret: OLD })).body;
      const other = (await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.updated'], secret: OLD })).body;
      // An outage's worth of failed deliveries, more than one call takes; written directly, as the delivery worker leaves them.
      const base = Date.now() - 3_600_000;
      const since = new Date(base - 1000).toISOString();
      const n = 503;
      const rows = Array.from({ length: n }, (_, i) => ({ i, at: new Date(base + Math.floor(i / 2)), event: `evt_range${String(i).padStart(6, '0')}`, id: `dlv_range${String(i).padStart(6, '0')}` }));
      await cp.db.batchInsert('webhook_events', rows.map((r) => ({ id: r.event, tenant_id: t.id, type: 'user.created', data: JSON.stringify({ user_id: r.id }), created_at: r.at })), 200);
      await cp.db.batchInsert(
        'webhook_deliveries',
        rows.map((r) => ({ id: r.id, tenant_id: t.id, webhook_id: hook.id, event_id: r.event, status: 'failed', attempts: 1, last_status_code: 410, created_at: r.at, failed_at: r.at })),
        200,
      );
      const path = `/api/v1/webhooks/${hook.id}/deliveries:retry`;
      receiver.answer(410);
      const first = await api('POST', path, { since });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.redelivered, 500);
      assert.equal(first.body.more, true);
      assert.deepEqual(first.body.delivery_ids, rows.slice(0, 500).map((r) => r.id), 'oldest first, ties by id');
      assert.equal(first.body.next_after, rows[499]!.id);
      await until('the batch failed again', async () => (await cp.count('webhook_deliveries', { webhook_id: hook.id, status: 'failed' })) === n, 60_000);

      // Those 500 are failed again, so a call from since alone would take them again; after moves on. It must name a delivery of this webhook.
      const refused = await api('POST', path, { since, after: other.id });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error.field, 'after');
      receiver.answer(200);
      const next = await api('POST', path, { since, after: first.body.next_after });
      assert.equal(next.status, 200, next.text);
      assert.deepEqual(next.body, { redelivered: 3, delivery_ids: rows.slice(500).map((r) => r.id), more: false, next_after: null });
      await until('the rest delivered', async () => (await cp.count('webhook_deliveries', { webhook_id: hook.id, status: 'delivered' })) === 3);
      const [audit] = (await eventsOf('webhook.deliveries_retried')).slice(-1);
      assert.deepEqual(audit!.data, { since, until: null, after: rows[499]!.id, count: 3, more: false });
      await api('DELETE', `/api/v1/webhooks/${hook.id}`);
      await api('DELETE', `/api/v1/webhooks/${other.id}`);
    });

    it('documents the delivery routes in the OpenAPI document', async () => {
      const doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      const retry = doc.paths['/api/v1/webhooks/{id}/deliveries/{delivery_id}:retry'];
      assert.ok(retry?.post, Object.keys(doc.paths).filter((p: string) => p.includes('webhooks')).join(', '));
      assert.ok(doc.paths['/api/v1/webhooks/{id}/deliveries/{delivery_id}']?.get);
      assert.ok(JSON.stringify(retry.post).includes('redelivered_at'));
      assert.equal(retry.post['x-claresia-role'], 'tenant_admin', 'a redelivery is an admin action');
      const range = JSON.stringify(doc.paths['/api/v1/webhooks/{id}/deliveries:retry']?.post ?? {});
      assert.ok(range.includes('"after"') && range.includes('next_after'), 'the range cursor is documented');
      const hook = JSON.stringify(doc.paths['/api/v1/webhooks/{id}']);
      assert.ok(hook.includes('secret_overlap_seconds') || JSON.stringify(doc.components).includes('secret_overlap_seconds'), 'the overlap is documented');
      assert.ok(JSON.stringify(doc).includes('previous_secret_expires_at'));
    });
  });

  describe(`webhook redelivery horizon [${kind}]`, function () {
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

    it('retries a redelivered event for the horizon counted from the redelivery, not from the event', async () => {
      const t = await cp.createTenant();
      const dir = await makeDirectory(cp, t);
      const api = (method: string, path: string) => cp.request(method, path, { token: t.token });
      const hook = (await cp.request('POST', '/api/v1/webhooks', { token: t.token, body: { url: receiver.url, events: ['user.created'], secret: OLD } })).body;
      receiver.answer(500);
      await scim(cp, dir)('POST', '/Users', user('late@acme.example'));
      const [d] = await until('failed at the horizon', async () => {
        const items = (await api('GET', `/api/v1/webhooks/${hook.id}/deliveries?status=failed`)).body.items;
        return items.length === 1 && items;
      });
      assert.match(d.last_error, /gave up 1 s after the event/);
      const res = await api('POST', `/api/v1/webhooks/${hook.id}/deliveries/${d.id}:retry`);
      assert.equal(res.status, 200, res.text);
      const again = await until('failed again', async () => {
        const x = (await api('GET', `/api/v1/webhooks/${hook.id}/deliveries/${d.id}`)).body;
        return x.status === 'failed' && x;
      });
      assert.ok(again.attempts >= 2, `retried after the redelivery (${again.attempts} attempts)`);
      assert.match(again.last_error, /gave up 1 s after the redelivery/);
      await until('the queue drained', async () => (await cp.count('jobs')) === 0);
    });
  });
}
