import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformName, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory, PATCH_OP, scim, type Directory } from './scim/helpers.js';
import { provision } from './rbac-support.js';

const PLATFORMS: PlatformName[] = ['claude', 'copilot', 'chatgpt', 'slack'];
const SCOPES: Record<PlatformName, string[]> = {
  claude: ['skills'],
  chatgpt: ['api.model.read'],
  copilot: ['manage_billing:copilot', 'admin:org'],
  slack: ['chat:write', 'commands', 'users:read', 'users:read.email'],
};
const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '200' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];

/**
 * A grant set that returns to one published before is the normal lifecycle (a user re-activated
 * and de-provisioned again). The platform double keeps every Idempotency-Key it answered and
 * replays its first answer without applying the body, as Stripe-style platforms do: a key that
 * named only the content left a de-provisioned user's grants on every platform.
 */
for (const kind of dbKinds()) {
  describe(`distribution of a grant set published before [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let okta: Directory;
    let bob: string;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const holders = (p: PlatformName) => [...new Set(platforms.grants(p).map((g) => g.email))];
    const everywhere = (emails: string[]) => PLATFORMS.every((p) => JSON.stringify(holders(p)) === JSON.stringify(emails));
    const noPending = async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0;
    const setActive = async (active: boolean) => {
      const res = await scim(cp, okta)('PATCH', `/Users/${bob}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
      assert.equal(res.status, 200, res.text);
    };

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      for (const p of PLATFORMS) {
        const credential = `${p}-key-${Math.random().toString(36).slice(2)}`;
        platforms.addAccount(p, { credential, scopes: SCOPES[p] });
        const c = await api('POST', '/api/v1/llm/connectors', { platform: p, name: p, credential, base_url: platforms.baseUrl(p) });
        assert.equal(c.status, 201, c.text);
        assert.equal((await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).status, 200);
      }
      okta = await makeDirectory(cp, t, 'okta');
      const people = await provision(cp, okta, [{ email: 'ada@acme.example', title: 'Software Engineer' }, { email: 'bob@acme.example', title: 'Software Engineer' }], {
        'claresia-users': ['ada@acme.example', 'bob@acme.example'],
      });
      bob = people.ids.get('bob@acme.example')!;
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/roster/scim:sync')).status, 200);
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('provision, publish, de-provision, re-activate, de-provision again: every platform follows each step, repeated sets included', async () => {
      await until('both people on every platform', () => everywhere(['ada@acme.example', 'bob@acme.example']));
      await until('the first publish completed', noPending);

      await setActive(false);
      await until('bob gone from every platform', () => everywhere(['ada@acme.example']));
      await until('the de-provisioning publish completed', noPending);
      const withoutBob = platforms.applied.filter((a) => a.platform === 'claude').at(-1)!;

      // Back to the first set: its content was published before.
      await setActive(true);
      await until('bob back on every platform', () => everywhere(['ada@acme.example', 'bob@acme.example']));
      await until('the re-activation publish completed', noPending);

      // And to the second one again.
      const replaysBefore = platforms.replays;
      await setActive(false);
      await until('the second de-provisioning published', noPending);
      for (const p of PLATFORMS) assert.deepEqual(holders(p), ['ada@acme.example'], `${p} no longer lists bob`);
      const last = platforms.applied.filter((a) => a.platform === 'claude').at(-1)!;
      assert.equal(last.contentHash, withoutBob.contentHash, 'the set repeats one published before');
      assert.notEqual(last.idempotencyKey, withoutBob.idempotencyKey, 'as a publish of its own');
      assert.equal(platforms.replays, replaysBefore, 'no platform answered from an earlier publish');
    });

    it('a republish of an unchanged set is applied again and leaves every platform as it was', async () => {
      const before = PLATFORMS.map((p) => platforms.grants(p));
      const applied = platforms.applied.length;
      const res = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'check' });
      assert.equal(res.status, 202, res.text);
      await until('the republish completed', async () => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${res.body.id}`)).body.status === 'completed');
      assert.equal(platforms.applied.length, applied + PLATFORMS.length, 'each platform got the set');
      assert.deepEqual(
        PLATFORMS.map((p) => platforms.grants(p)),
        before,
      );
    });

    it('a publish retried after a platform failed sends the same key, so an applied call is not applied twice', async () => {
      platforms.failPublishes('slack', 2);
      await setActive(true);
      await until('bob back on every platform', () => everywhere(['ada@acme.example', 'bob@acme.example']));
      await until('completed', noPending);
      const keys = (p: PlatformName) => new Set(platforms.calls.filter((c) => c.platform === p && c.method !== 'GET' && c.path !== '/api/auth.test').map((c) => String(c.headers['idempotency-key'])));
      const last = platforms.applied.filter((a) => a.platform === 'slack').at(-1)!;
      const slackCalls = platforms.calls.filter((c) => c.platform === 'slack' && c.headers['idempotency-key'] === last.idempotencyKey);
      assert.equal(slackCalls.length, 3, 'two refused calls and the one applied, all with one key');
      assert.ok(keys('claude').has(last.idempotencyKey), 'one publish, one key on every platform');
    });
  });
}
