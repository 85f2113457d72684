import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';

/**
 * Review v3 F6: HR exports often list people under their login (the SCIM userName, a UPN such as
 * frank.s@acme.example) rather than their work email (frank@acme.example), and a platform account
 * may be opened under it. A CSV row at the login of someone the IdP de-provisioned made an active
 * member, and the login was granted skills. The login is the same person as the work email:
 * de-provisioning takes both away, a CSV row at either is reported and kept inactive, and
 * re-activation (or a rehire) gives both back.
 */
for (const kind of dbKinds()) {
  describe(`a CSV row at a de-provisioned person's login address [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;

    const csv = (text: string) => cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: text, headers: { 'content-type': 'text/csv' } });
    const sync = () => cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
    const setActive = (dir: Directory, id: string, active: boolean) => scim(cp, dir)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
    const member = (email: string) => cp.db('roster_members').where({ tenant_id: t.id, email }).first();
    const granted = async () => new Set((await computeGrants(cp.db, t.id)).map((g) => g.email));
    /** A user whose login (userName) is not their work email, as Entra ID sends a UPN. */
    const newUser = async (dir: Directory, login: string, work: string | null, title = 'Software Engineer') => {
      const res = await scim(cp, dir)('POST', '/Users', user(login, { title, emails: work ? [{ primary: true, value: work, type: 'work' }] : [] }));
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };

    before(async function () {
      this.timeout(180_000);
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      assert.equal((await cp.request('POST', '/api/v1/skill-entitlement/coworks/enterprise/apply', { token: t.token })).status, 201);
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');
      await newUser(okta, 'ada@acme.example', 'ada@acme.example');
    });
    after(async () => {
      await cp?.close();
    });

    it('de-provisioning turns off the member at the login; the same CSV again keeps it off and reports the row; re-activation turns it on', async () => {
      const frank = await newUser(okta, 'frank.s@acme.example', 'frank@acme.example');
      const file = 'email,first_name,last_name,title\nada@acme.example,Ada,L,Software Engineer\nfrank.s@acme.example,Frank,S,Software Engineer\n';
      const first = await csv(file);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.deprovisioned, 0);
      assert.ok((await granted()).has('frank.s@acme.example'), 'an active person is granted under their login');

      assert.equal((await setActive(okta, frank, false)).status, 200);
      const off = await member('frank.s@acme.example');
      assert.deepEqual([off.active, off.scim_user_id], [false, frank], 'de-provisioning turns off the member at the login and ties it to the user');
      assert.ok(!(await granted()).has('frank.s@acme.example'));

      const again = await csv(file);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.deprovisioned, 1);
      assert.deepEqual(again.body.deprovisioned_rows, [{ line: 3, email: 'frank.s@acme.example' }]);
      assert.equal((await member('frank.s@acme.example')).active, false, 'the import did not turn the login back on');
      const g = await granted();
      assert.ok(!g.has('frank.s@acme.example'), 'the de-provisioned login is granted nothing');
      assert.ok(g.has('ada@acme.example'));

      assert.equal((await setActive(okta, frank, true)).status, 200);
      assert.equal((await member('frank.s@acme.example')).active, true, 're-activation turns the member at the login on');
      assert.ok((await granted()).has('frank.s@acme.example'));
    });

    it('grants leave out an active member at the login of a de-provisioned user, whatever it points at; an active copy holding the login in another directory keeps it', async () => {
      const gus = await newUser(okta, 'gus.m@acme.example', 'gus@acme.example');
      assert.equal((await setActive(okta, gus, false)).status, 200);
      // A member as an import made it before this rule: active, pointing at no SCIM user.
      assert.equal((await csv('email,first_name,last_name,title\ngus.m@acme.example,Gus,M,Software Engineer\n')).status, 200);
      await cp.db('roster_members').where({ tenant_id: t.id, email: 'gus.m@acme.example' }).update({ active: true, scim_user_id: null });
      assert.ok(!(await granted()).has('gus.m@acme.example'));
      // The same person migrated to Entra, with the same UPN and another work email: still here.
      await newUser(entra, 'gus.m@acme.example', 'gus.migrated@acme.example');
      assert.ok((await granted()).has('gus.m@acme.example'), 'an active user holds the login');
    });

    it('a CSV row at the login of someone SCIM deleted is created inactive; after a rehire (a new user of that userName) the next import turns it on, tied to the new user', async () => {
      const old = await newUser(okta, 'hana.k@acme.example', 'hana@acme.example');
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${old}`)).status, 204);
      const row = 'email,first_name,last_name,title\nhana.k@acme.example,Hana,K,Software Engineer\n';
      const res = await csv(row);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual([res.body.created, res.body.deprovisioned], [1, 1]);
      assert.deepEqual(res.body.deprovisioned_rows, [{ line: 2, email: 'hana.k@acme.example' }]);
      const m = await member('hana.k@acme.example');
      assert.deepEqual([m.active, m.scim_user_id], [false, old]);
      assert.ok(!(await granted()).has('hana.k@acme.example'));

      const rehired = await newUser(okta, 'hana.k@acme.example', 'hana@acme.example');
      const back = await csv(row);
      assert.equal(back.status, 200, back.text);
      assert.deepEqual([back.body.deprovisioned, back.body.access_changed], [0, 1]);
      const on = await member('hana.k@acme.example');
      assert.deepEqual([on.active, on.scim_user_id], [true, rehired]);
      assert.ok((await granted()).has('hana.k@acme.example'));
    });

    it("review v5 F1: a departed person's work email that is another active user's login stays de-provisioned (a login never holds a departed person's work email)", async () => {
      // Bob's work email is bob@; Robert signs in as bob@ (a reused UPN) and reads mail at robert@.
      const bob = await newUser(okta, 'bsmith', 'bob@acme.example');
      const robert = await newUser(okta, 'bob@acme.example', 'robert@acme.example');
      assert.equal((await sync()).status, 200);
      assert.deepEqual([(await member('bob@acme.example')).scim_user_id, (await member('robert@acme.example')).scim_user_id], [bob, robert]);

      assert.equal((await setActive(okta, bob, false)).status, 200);
      const off = await member('bob@acme.example');
      assert.deepEqual([off.active, off.scim_user_id], [false, bob], "Bob's member is turned off and stays tied to Bob, not to Robert");
      let g = await granted();
      assert.ok(!g.has('bob@acme.example'), 'the departed work email is granted nothing');
      assert.ok(g.has('robert@acme.example'));

      const row = await csv('email,first_name,last_name,title\nbob@acme.example,Bob,S,Software Engineer\n');
      assert.equal(row.status, 200, row.text);
      assert.deepEqual(row.body.deprovisioned_rows, [{ line: 2, email: 'bob@acme.example' }]);
      const still = await member('bob@acme.example');
      assert.deepEqual([still.active, still.scim_user_id], [false, bob]);
      assert.ok(!(await granted()).has('bob@acme.example'));

      // Robert leaving and coming back does not hand Bob's address to him either.
      assert.equal((await setActive(okta, robert, false)).status, 200);
      assert.equal((await setActive(okta, robert, true)).status, 200);
      const after = await member('bob@acme.example');
      assert.deepEqual([after.active, after.scim_user_id], [false, bob]);
      g = await granted();
      assert.ok(!g.has('bob@acme.example'));
      assert.ok(g.has('robert@acme.example'));

      // Bob back: his address is his again.
      assert.equal((await setActive(okta, bob, true)).status, 200);
      assert.equal((await member('bob@acme.example')).active, true);
      assert.ok((await granted()).has('bob@acme.example'));

      // Deleted rather than deactivated, Bob still outweighs Robert's login when Robert comes back.
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${bob}`)).status, 204);
      assert.equal((await setActive(okta, robert, false)).status, 200);
      assert.equal((await setActive(okta, robert, true)).status, 200);
      const gone = await member('bob@acme.example');
      assert.deepEqual([gone.active, gone.scim_user_id], [false, bob]);
      assert.ok(!(await granted()).has('bob@acme.example'));
      const deleted = await csv('email,first_name,last_name,title\nbob@acme.example,Bob,S,Software Engineer\n');
      assert.equal(deleted.status, 200, deleted.text);
      assert.deepEqual(deleted.body.deprovisioned_rows, [{ line: 2, email: 'bob@acme.example' }]);
    });

    it("a login holds a departed person's login (the same UPN in another directory): the member there stays on while that copy is active", async () => {
      const oktaKim = await newUser(okta, 'kim.l@acme.example', 'kim@acme.example');
      const entraKim = await newUser(entra, 'kim.l@acme.example', 'kim.new@acme.example');
      assert.equal((await csv('email,first_name,last_name,title\nkim.l@acme.example,Kim,L,Software Engineer\n')).status, 200);
      assert.equal((await setActive(okta, oktaKim, false)).status, 200);
      assert.equal((await member('kim.l@acme.example')).active, true, 'the Entra copy signs in as kim.l@');
      assert.ok((await granted()).has('kim.l@acme.example'));
      assert.equal((await setActive(entra, entraKim, false)).status, 200);
      const off = await member('kim.l@acme.example');
      assert.deepEqual([off.active, off.scim_user_id], [false, entraKim]);
      assert.ok(!(await granted()).has('kim.l@acme.example'));
      assert.equal((await setActive(entra, entraKim, true)).status, 200);
      assert.equal((await member('kim.l@acme.example')).active, true);
      assert.ok((await granted()).has('kim.l@acme.example'));
    });

    it('a user given a work email takes their member from the login address along (the login they keep does not hold it back)', async () => {
      const ivo = await newUser(okta, 'ivo.p@acme.example', null);
      assert.equal((await sync()).status, 200);
      const before = await member('ivo.p@acme.example');
      assert.equal(before.scim_user_id, ivo);
      const patched = await scim(cp, okta)('PATCH', `/Users/${ivo}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: [{ primary: true, value: 'ivo@acme.example', type: 'work' }] }] });
      assert.equal(patched.status, 200, patched.text);
      const report = await sync();
      assert.equal(report.status, 200, report.text);
      assert.equal(report.body.roster.moved, 1);
      assert.equal((await member('ivo@acme.example'))?.id, before.id);
      assert.equal(await member('ivo.p@acme.example'), undefined);
    });
  });
}
