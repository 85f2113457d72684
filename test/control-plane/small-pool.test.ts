import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { makeDirectory, PATCH_OP, scim, user, CORE_GROUP } from './scim/helpers.js';

// CLARESIA_DATABASE_POOL_MAX may be as low as 1. With one connection, any code that waits on a
// second query while it holds a connection (a query outside the transaction it runs in, a
// worker keeping its claim open while it reads) waits for itself forever. These requests,
// jobs and Hub provisioning all run at once on a pool of one and must all finish.
const FAST = {
  CLARESIA_JOBS_POLL_MS: '50',
  CLARESIA_WEBHOOK_RETRY_MS: '50',
  CLARESIA_WEBHOOK_MAX_RETRY_MS: '300',
  CLARESIA_WEBHOOK_TIMEOUT_MS: '2000',
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
};

if (dbKinds().includes('pg')) {
  describe('a control plane on a PostgreSQL pool of one connection', function () {
    this.timeout(30_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let receiver: WebhookReceiver;
    let restoreEnv = () => {};

    before(async () => {
      restoreEnv = withEnv(FAST);
      receiver = await startWebhookReceiver();
      cp = await startControlPlane({ db: 'pg', poolMax: 1, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await receiver?.close();
      restoreEnv();
    });

    it('serves SCIM writes and reads, API writes, webhook deliveries and a Hub at once, and each finishes', async () => {
      const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
      const hook = await api('POST', '/api/v1/webhooks', { url: receiver.url, events: ['user.created', 'user.updated'], secret: 'whsec-test-0123456789abcdef' });
      assert.equal(hook.status, 201, hook.text);
      const dir = await makeDirectory(cp, t, 'entra');
      const s = scim(cp, dir);
      const USERS = 24;

      // Everything at once: creates that group-commit together, lists and a group while they
      // run, a Hub to provision, and the deliveries the creates enqueue.
      const [created, lists, group, hub] = await Promise.all([
        Promise.all(Array.from({ length: USERS }, (_, i) => s('POST', '/Users', user(`pool${i}@acme.example`)))),
        Promise.all(Array.from({ length: 6 }, () => s('GET', '/Users?filter=userName%20sw%20%22pool%22&count=10'))),
        s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-pool' }),
        api('POST', '/api/v1/hub/provision', { mode: 'A' }),
      ]);
      for (const r of created) assert.equal(r.status, 201, r.text);
      for (const r of lists) assert.equal(r.status, 200, r.text);
      assert.equal(group.status, 201, group.text);
      assert.equal(hub.status, 201, hub.text);

      const ids = created.map((r) => r.body.id as string);
      const [patched, members] = await Promise.all([
        Promise.all(ids.slice(0, 6).map((id) => s('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'title', value: 'Engineer' }] }))),
        s('PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: ids.slice(0, 10).map((value) => ({ value })) }] }),
      ]);
      for (const r of patched) assert.equal(r.status, 200, r.text);
      assert.ok([200, 204].includes(members.status), members.text);

      const sync = await api('POST', '/api/v1/roster/scim:sync');
      assert.equal(sync.status, 200, sync.text);
      assert.equal(sync.body.users.created, USERS, sync.text);
      assert.equal(sync.body.groups.created, 1, sync.text);

      // Each event once: a repeated delivery must not stand in for a missing one.
      await until('every user.created and user.updated delivered', () => new Set(receiver.accepted().map((r) => r.eventId)).size === USERS + 6, 20_000);
      await until('no delivery left pending', async () => (await cp.count('webhook_deliveries', { status: 'pending' })) === 0, 20_000);
      const settled = await until(
        'the Hub provisioned',
        async () => {
          const r = await api('GET', `/api/v1/hubs/${hub.body.id}`);
          return r.body.status === 'provisioning' ? undefined : r.body;
        },
        20_000,
      );
      assert.equal(settled.status, 'ready', JSON.stringify(settled));
      assert.equal(await cp.count('scim_users', { directory_id: dir.id }), USERS);
    });
  });
}
