import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory, PATCH_OP, scim } from './scim/helpers.js';
import { greenSamlConnection, provision, signIn } from './rbac-support.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '200' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];

/**
 * The end-to-end test, with every part real: a person signs in through SAML SSO with
 * the test IdP and uses their JWT; Okta de-provisions them with its PATCH; within the same test
 * their JWT is refused, the distribution worker has taken their grants off the platform server,
 * and `user_deactivated` by okta:scim is in the verified chain.
 */
for (const kind of dbKinds()) {
  describe(`de-provisioning end to end [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let restoreEnv = () => {};

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      idp = await startSamlIdp();
      platforms = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      await idp?.close();
      restoreEnv();
    });

    it('sign in, use the JWT, Okta PATCH active=false: JWT refused, grants gone from the platform, user_deactivated in the verified chain', async () => {
      const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
      platforms.addAccount('claude', { credential: 'claude-admin-key-e2e', scopes: ['skills'] });
      const connector = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: 'claude-admin-key-e2e', base_url: platforms.baseUrl('claude') });
      assert.equal(connector.status, 201, connector.text);
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector.body.id}:test`)).status, 200);

      const okta = await makeDirectory(cp, t, 'okta');
      const people = await provision(cp, okta, [{ email: 'ada@acme.example', title: 'Software Engineer' }, { email: 'cy@acme.example', title: 'Software Engineer' }], {
        'claresia-users': ['ada@acme.example', 'cy@acme.example'],
      });
      assert.equal((await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG })).status, 201);
      assert.equal((await api('POST', '/api/v1/roster/scim:sync')).status, 200);
      const holders = () => [...new Set(platforms.grants('claude').map((g) => g.email))];
      await until('both people published to the platform', () => JSON.stringify(holders()) === JSON.stringify(['ada@acme.example', 'cy@acme.example']));

      // A real SSO round trip: AuthnRequest to the IdP, its signed assertion to our ACS, a user JWT back.
      const conn = await greenSamlConnection(cp, t, idp);
      const login = await signIn(cp, idp, conn, 'ada@acme.example');
      assert.equal(login.status, 200, login.text);
      const jwt = login.body.access_token;
      const me = await cp.request('GET', '/api/v1/me', { token: jwt });
      assert.equal(me.status, 200, me.text);
      assert.deepEqual(me.body.skills, [...ENG].sort());

      const id = people.ids.get('ada@acme.example')!;
      const started = Date.now();
      const res = await scim(cp, okta)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(res.status, 200, res.text);

      const refused = await cp.request('GET', '/api/v1/me', { token: jwt });
      assert.equal(refused.status, 401, 'the JWT is refused on the very next call');
      await until('ada gone from the platform', () => JSON.stringify(holders()) === JSON.stringify(['cy@acme.example']));
      const elapsed = Date.now() - started;
      assert.deepEqual(
        platforms.grants('claude').filter((g) => g.email === 'cy@acme.example').map((g) => g.skill),
        [...ENG].sort(),
        'the others keep theirs',
      );

      const events = await api('GET', '/api/v1/hub/governance-events?type=user_deactivated');
      assert.equal(events.status, 200);
      const ev = events.body.items.find((e: any) => e.subject === id);
      assert.ok(ev, 'user_deactivated is in the chain');
      assert.equal(ev.actor, 'okta:scim');
      const verify = await api('GET', '/api/v1/hub/governance-events:verify');
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
      assert.ok(verify.body.head_seq >= ev.seq);
      if (process.env.LOG_DEPROVISION_MS) console.log(`de-provisioning reached the platform in ${elapsed} ms`);
    });
  });
}
