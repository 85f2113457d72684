import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '200' };

/**
 * Review r6 F1: HR re-uploading the roster CSV gave a person Okta had de-provisioned every skill
 * back at the next publish, while SCIM still said active:false. The roster member follows the
 * person: a CSV row neither turns on nor grants anything at an address SCIM has de-provisioned.
 */
for (const kind of dbKinds()) {
  describe(`a CSV import cannot undo a SCIM de-provisioning [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;
    let restoreEnv = () => {};

    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const csv = (text: string) => cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: text, headers: { 'content-type': 'text/csv' } });
    const holders = () => [...new Set(platforms.grants('claude').map((g) => g.email))].sort();
    const setActive = (dir: Directory, id: string, active: boolean) => scim(cp, dir)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
    const member = (email: string) => cp.db('roster_members').where({ tenant_id: t.id, email }).first();
    const newUser = async (dir: Directory, email: string, title: string) => {
      const res = await scim(cp, dir)('POST', '/Users', user(email, { title }));
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    /** Asks for a publish and waits until it completed: what the platform holds then is that publish's. */
    const republish = async () => {
      const res = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'test' });
      assert.equal(res.status, 202, res.text);
      await until('the republish completed', async () => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${res.body.id}`)).body.status === 'completed');
    };

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      platforms = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      platforms.addAccount('claude', { credential: 'claude-admin-key-f1', scopes: ['skills'] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential: 'claude-admin-key-f1', base_url: platforms.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      assert.equal((await api('POST', `/api/v1/llm/connectors/${c.body.id}:test`)).status, 200);
      assert.equal((await api('POST', '/api/v1/skill-entitlement/coworks/enterprise/apply')).status, 201);
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');
    });
    after(async () => {
      await cp?.close();
      await platforms?.close();
      restoreEnv();
    });

    it('CSV, Okta de-provisions bob, HR re-imports the same CSV, a republish: the platform does not list bob; re-activation brings him back', async () => {
      const bob = await newUser(okta, 'bob@acme.example', 'Account Executive');
      await newUser(okta, 'ada@acme.example', 'Software Engineer');
      // Runbook step 8 by CSV: no roster/scim:sync, so the members carry no SCIM user.
      const file = 'email,first_name,last_name,title,department\nada@acme.example,Ada,L,Software Engineer,Engineering\nbob@acme.example,Bob,S,Account Executive,Sales\n';
      const first = await csv(file);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.created, 2);
      await until('ada and bob published', () => JSON.stringify(holders()) === JSON.stringify(['ada@acme.example', 'bob@acme.example']));

      assert.equal((await setActive(okta, bob, false)).status, 200);
      await until('bob gone from the platform', () => JSON.stringify(holders()) === JSON.stringify(['ada@acme.example']));
      const off = await member('bob@acme.example');
      assert.equal(off.active, false);
      assert.equal(off.scim_user_id, bob, 'de-provisioning ties the CSV member to the SCIM user');

      const again = await csv(file);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.deprovisioned, 1);
      assert.deepEqual(again.body.deprovisioned_rows, [{ line: 3, email: 'bob@acme.example' }]);
      const read = await api('GET', '/api/v1/roster/members/bob@acme.example');
      assert.equal(read.body.active, false, 'the import did not turn bob back on');

      await republish();
      assert.deepEqual(holders(), ['ada@acme.example'], 'the de-provisioned user is not published again');

      // The IdP decides: re-activation turns the member on and publishes him.
      assert.equal((await setActive(okta, bob, true)).status, 200);
      await until('bob published again', () => JSON.stringify(holders()) === JSON.stringify(['ada@acme.example', 'bob@acme.example']));
      assert.equal((await member('bob@acme.example')).active, true);
    });

    it('a CSV row for someone SCIM deleted, never imported before, is created inactive and granted nothing', async () => {
      const dan = await newUser(okta, 'dan@acme.example', 'Software Engineer');
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${dan}`)).status, 204);
      const res = await csv('email,first_name,last_name,title\ndan@acme.example,Dan,K,Software Engineer\n');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.created, 1);
      assert.equal(res.body.deprovisioned, 1);
      const m = await member('dan@acme.example');
      assert.equal(m.active, false);
      assert.equal(m.scim_user_id, dan);
      assert.ok(!(await computeGrants(cp.db, t.id)).some((g) => g.email === 'dan@acme.example'));
    });

    it('someone provisioned again after a DELETE is back: the next import turns their member on, tied to the new user, and grants count them', async () => {
      const first = await newUser(okta, 'ren@acme.example', 'Software Engineer');
      const row = 'email,first_name,last_name,title\nren@acme.example,Ren,O,Software Engineer\n';
      assert.equal((await csv(row)).status, 200);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${first}`)).status, 204);
      assert.equal((await member('ren@acme.example')).scim_user_id, first);
      // Rehired: the IdP provisions the freed userName as a new user.
      const second = await newUser(okta, 'ren@acme.example', 'Software Engineer');
      const res = await csv(row);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual([res.body.deprovisioned, res.body.access_changed], [0, 1]);
      const m = await member('ren@acme.example');
      assert.deepEqual([m.active, m.scim_user_id], [true, second]);
      assert.ok((await computeGrants(cp.db, t.id)).some((g) => g.email === 'ren@acme.example'));
      // Grants follow the person even before an import re-points the member.
      await cp.db('roster_members').where({ tenant_id: t.id, email: 'ren@acme.example' }).update({ scim_user_id: first });
      assert.ok((await computeGrants(cp.db, t.id)).some((g) => g.email === 'ren@acme.example'));
    });

    it('grants leave out an active member at an address held only by inactive or deleted SCIM users, whatever the member points at', async () => {
      // Members as an import made them before this rule: active, pointing at no SCIM user.
      const eve = await newUser(okta, 'eve@acme.example', 'Software Engineer');
      const fay = await newUser(okta, 'fay@acme.example', 'Software Engineer');
      const fayEntra = await newUser(entra, 'fay@acme.example', 'Software Engineer');
      const res = await csv('email,first_name,last_name,title\neve@acme.example,Eve,A,Software Engineer\nfay@acme.example,Fay,B,Software Engineer\n');
      assert.equal(res.status, 200, res.text);
      assert.equal((await setActive(okta, eve, false)).status, 200);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${fay}`)).status, 204);
      await cp.db('roster_members').where({ tenant_id: t.id }).whereIn('email', ['eve@acme.example', 'fay@acme.example']).update({ active: true, scim_user_id: null });
      const granted = () => computeGrants(cp.db, t.id).then((g) => new Set(g.map((x) => x.email)));
      let g = await granted();
      assert.ok(!g.has('eve@acme.example'), 'eve: her only SCIM user is inactive');
      assert.ok(g.has('fay@acme.example'), 'fay: the Entra copy is active');
      assert.equal((await setActive(entra, fayEntra, false)).status, 200);
      await cp.db('roster_members').where({ tenant_id: t.id, email: 'fay@acme.example' }).update({ active: true, scim_user_id: null });
      g = await granted();
      assert.ok(!g.has('fay@acme.example'), 'fay: one copy deleted, the other inactive');
      assert.ok(g.has('ada@acme.example'), 'a person with an active SCIM user keeps hers');
    });
  });
}
