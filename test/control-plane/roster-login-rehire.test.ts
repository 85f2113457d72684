import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';
import { TenantScope } from '../../control-plane/src/db/tenant-scope.js';
import { directoryIds, holdersOf } from '../../control-plane/src/roster/holders.js';

/**
 * A person's login (SCIM userName, when it is an address) is de-provisioned with them and comes
 * back with them (roster-deprovisioned-login). Two gaps the last session left:
 * - a rehire followed by POST /api/v1/roster/scim:sync left the member at the login off (only the
 *   next CSV import, or a SCIM re-activation, turned it on);
 * - a de-provisioning event listed under roster_members_kept_active a member at the departing
 *   user's login that is another, active person's work email: a bystander, never theirs.
 */
for (const kind of dbKinds()) {
  describe(`a login member after a rehire, and the members a departure keeps [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;

    const csv = (text: string, query = '') => cp.request('POST', `/api/v1/roster/csv${query}`, { token: t.token, raw: text, headers: { 'content-type': 'text/csv' } });
    const sync = async () => {
      const res = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const setActive = async (dir: Directory, id: string, active: boolean) => {
      const res = await scim(cp, dir)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
      assert.equal(res.status, 200, res.text);
    };
    const member = (email: string) => cp.db('roster_members').where({ tenant_id: t.id, email }).first();
    const granted = async () => new Set((await computeGrants(cp.db, t.id)).map((g) => g.email));
    const revokedEvent = async (subject: string) =>
      (await cp.db('governance_events').where({ tenant_id: t.id, type: 'rbac.access_revoked', subject }).orderBy('seq', 'desc').first()) as { data: Record<string, unknown> };
    const dataOf = (e: { data: unknown }) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as Record<string, unknown>;
    /** A user whose login (userName) is not their work email, as Entra ID sends a UPN. */
    const newUser = async (dir: Directory, login: string, work: string | null, title = 'Software Engineer') => {
      const res = await scim(cp, dir)('POST', '/Users', user(login, { title, emails: work ? [{ primary: true, value: work, type: 'work' }] : [] }));
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    const row = (login: string) => `email,first_name,last_name,title\n${login},Some,One,Software Engineer\n`;

    before(async function () {
      this.timeout(180_000);
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      assert.equal((await cp.request('POST', '/api/v1/skill-entitlement/coworks/enterprise/apply', { token: t.token })).status, 201);
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');
    });
    after(async () => {
      await cp?.close();
    });

    it('a rehire (a new user of the deleted one’s login) and a SCIM sync turn the member at the login back on, tied to the new user, as an import does', async () => {
      const old = await newUser(okta, 'hana.k@acme.example', 'hana@acme.example');
      assert.equal((await csv(row('hana.k@acme.example'))).status, 200);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${old}`)).status, 204);
      const off = await member('hana.k@acme.example');
      assert.deepEqual([off.active, off.scim_user_id], [false, old]);

      const rehired = await newUser(okta, 'hana.k@acme.example', 'hana@acme.example');
      const report = await sync();
      const on = await member('hana.k@acme.example');
      assert.deepEqual([on.active, on.scim_user_id], [true, rehired], 'the sync turns the login member on and ties it to the rehired user');
      assert.equal(on.id, off.id);
      assert.ok((await granted()).has('hana.k@acme.example'));
      const changed = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'roster.scim_members_changed' }).orderBy('seq', 'desc').first()) as { data: unknown };
      assert.ok((dataOf(changed).access_changed as string[]).includes(on.id), 'the sync records the member it turned on');
      assert.equal(report.roster.deactivated, 0);

      // A second sync changes nothing, and an import of the same row agrees with the sync.
      await sync();
      assert.deepEqual([(await member('hana.k@acme.example')).active, (await member('hana.k@acme.example')).scim_user_id], [true, rehired]);
      const again = await csv(row('hana.k@acme.example'));
      assert.equal(again.status, 200, again.text);
      assert.deepEqual([again.body.deprovisioned, again.body.access_changed], [0, 0]);
    });

    it('a re-activation (active false -> true) followed by a SCIM sync leaves the login member on', async () => {
      const frank = await newUser(okta, 'frank.s@acme.example', 'frank@acme.example');
      assert.equal((await csv(row('frank.s@acme.example'))).status, 200);
      await setActive(okta, frank, false);
      assert.equal((await member('frank.s@acme.example')).active, false);
      await setActive(okta, frank, true);
      await sync();
      const on = await member('frank.s@acme.example');
      assert.deepEqual([on.active, on.scim_user_id], [true, frank]);
      assert.ok((await granted()).has('frank.s@acme.example'));
    });

    it('a SCIM sync leaves off a login member that SCIM did not take away (a replace import dropped it) or whose person is still gone', async () => {
      // Jo moved from Okta to Entra under the same login: the Okta copy is off, the Entra copy holds jo.b@.
      const oktaJo = await newUser(okta, 'jo.b@acme.example', 'jo@acme.example');
      await newUser(entra, 'jo.b@acme.example', 'jo.new@acme.example');
      await setActive(okta, oktaJo, false);
      const listed = await csv(row('jo.b@acme.example'));
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.deprovisioned, 0);
      assert.equal((await member('jo.b@acme.example')).active, true);
      // The file no longer lists jo.b@: the login member is the file's to take off, and it is.
      const replaced = await csv('email,first_name,last_name,title\nsomeone.else@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.ok(replaced.body.deactivated_members.some((m: { email: string }) => m.email === 'jo.b@acme.example'), replaced.text);
      await sync();
      assert.equal((await member('jo.b@acme.example')).active, false, 'the sync does not bring back a login row the file took off');

      const ida = await newUser(okta, 'ida.v@acme.example', 'ida@acme.example');
      assert.equal((await csv(row('ida.v@acme.example'))).status, 200);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${ida}`)).status, 204);
      await sync();
      const gone = await member('ida.v@acme.example');
      assert.deepEqual([gone.active, gone.scim_user_id], [false, ida], 'nobody is back at the login');
      assert.ok(!(await granted()).has('ida.v@acme.example'));
    });

    it("a rehire's login that a departed person has as work email is not turned on by a sync (a login never outweighs a work email)", async () => {
      // Lea's work email is lea@; Leon signs in as lea@. Lea leaves; Leon is deleted and hired again.
      const lea = await newUser(okta, 'lgreen', 'lea@acme.example');
      const leon = await newUser(okta, 'lea@acme.example', 'leon@acme.example');
      await sync();
      await setActive(okta, lea, false);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${leon}`)).status, 204);
      await newUser(okta, 'lea@acme.example', 'leon@acme.example');
      await sync();
      const m = await member('lea@acme.example');
      assert.deepEqual([m.active, m.scim_user_id], [false, lea]);
      assert.ok(!(await granted()).has('lea@acme.example'));
    });

    it("de-provisioning lists under roster_members_kept_active only members at an address the departing user held, not a bystander's work email that is their login", async () => {
      // Bob's work email is bob@; Robert signs in as bob@ (a reused UPN) and reads mail at robert@.
      const bob = await newUser(okta, 'bsmith', 'bob@acme.example');
      const robert = await newUser(okta, 'bob@acme.example', 'robert@acme.example');
      await sync();
      const bobs = await member('bob@acme.example');
      const roberts = await member('robert@acme.example');
      assert.deepEqual([bobs.scim_user_id, roberts.scim_user_id], [bob, robert]);

      await setActive(okta, robert, false);
      const data = dataOf(await revokedEvent(robert));
      assert.deepEqual(data.roster_members_deactivated, [roberts.id]);
      assert.equal(data.roster_members_kept_active, undefined, "Bob's member was never Robert's: it is no member his departure kept");
      const still = await member('bob@acme.example');
      assert.deepEqual([still.active, still.scim_user_id], [true, bob]);
    });

    it('review v7 F1: an IdP migration that removes the old directory first (Terraform replacing claresia_scim_directory on a new idp) and a sync turn the login member on, tied to the new user, as an import does', async () => {
      const old = await makeDirectory(cp, t, 'okta');
      const gone = await newUser(old, 'lin.w@acme.example', 'lin@acme.example');
      assert.equal((await csv(row('lin.w@acme.example'))).status, 200);
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${old.id}`, { token: t.token })).status, 204);
      const off = await member('lin.w@acme.example');
      assert.deepEqual([off.active, off.scim_user_id], [false, gone]);
      assert.equal(await cp.db('scim_users').where({ id: gone }).first(), undefined, 'the removed directory took its users along');

      const neu = await makeDirectory(cp, t, 'entra');
      const back = await newUser(neu, 'lin.w@acme.example', 'lin@acme.example');
      await sync();
      const on = await member('lin.w@acme.example');
      assert.deepEqual([on.active, on.scim_user_id], [true, back], 'the sync turns the login member on and ties it to the new directory’s user');
      assert.ok((await granted()).has('lin.w@acme.example'));
      const changed = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'roster.scim_members_changed' }).orderBy('seq', 'desc').first()) as { data: unknown };
      assert.ok((dataOf(changed).access_changed as string[]).includes(on.id), 'the sync records the member it turned on');
      const again = await csv(row('lin.w@acme.example'));
      assert.equal(again.status, 200, again.text);
      assert.deepEqual([again.body.deprovisioned, again.body.access_changed], [0, 0], 'an import of the row agrees with the sync');
      assert.deepEqual([(await member('lin.w@acme.example')).active, (await member('lin.w@acme.example')).scim_user_id], [true, back]);
    });

    it('review v7 F1: an import before the sync turns the login member on and ties it to the new directory’s user too, so the sync then changes nothing', async () => {
      const old = await makeDirectory(cp, t, 'okta');
      const gone = await newUser(old, 'eli.m@acme.example', 'eli@acme.example');
      assert.equal((await csv(row('eli.m@acme.example'))).status, 200);
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${old.id}`, { token: t.token })).status, 204);
      assert.deepEqual([(await member('eli.m@acme.example')).active, (await member('eli.m@acme.example')).scim_user_id], [false, gone]);
      const neu = await makeDirectory(cp, t, 'entra');
      const back = await newUser(neu, 'eli.m@acme.example', 'eli@acme.example');
      const imported = await csv(row('eli.m@acme.example'));
      assert.equal(imported.status, 200, imported.text);
      assert.equal(imported.body.access_changed, 1);
      const on = await member('eli.m@acme.example');
      assert.deepEqual([on.active, on.scim_user_id], [true, back], 'the import ties the member to the user the sync would');
      const last = Number((await cp.db('governance_events').where({ tenant_id: t.id }).max({ seq: 'seq' }).first())!.seq);
      await sync();
      const changed = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'roster.scim_members_changed' }).where('seq', '>', last)) as Array<{ data: unknown }>;
      assert.ok(changed.every((e) => !(dataOf(e).access_changed as string[]).includes(on.id)), 'the sync agrees with the import');
      assert.deepEqual([(await member('eli.m@acme.example')).active, (await member('eli.m@acme.example')).scim_user_id], [true, back]);
    });

    it('review v7 F1: a login member whose directory was removed stays off at a sync while nobody holds the login, or only as a departed person’s work email', async () => {
      const old = await makeDirectory(cp, t, 'okta');
      await newUser(old, 'ola.n@acme.example', 'ola@acme.example');
      await newUser(old, 'uma.k@acme.example', 'uma@acme.example');
      assert.equal((await csv(`${row('ola.n@acme.example')}uma.k@acme.example,Uma,K,Software Engineer\n`)).status, 200);
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${old.id}`, { token: t.token })).status, 204);
      // uma.k@ is now the work email of someone who left, and the login of someone active.
      const departed = await newUser(okta, 'ukemp', 'uma.k@acme.example');
      await setActive(okta, departed, false);
      await newUser(entra, 'uma.k@acme.example', 'uma.new@acme.example');
      await sync();
      assert.equal((await member('ola.n@acme.example')).active, false, 'nobody is back at the login');
      assert.equal((await member('uma.k@acme.example')).active, false, 'a login never outweighs a departed person’s work email');
      assert.ok(!(await granted()).has('ola.n@acme.example'));
      assert.ok(!(await granted()).has('uma.k@acme.example'));
    });

    it('review v7 F2: a login member a replace import took off stays off after the person is deleted, rehired and synced, until a file lists it again', async () => {
      const rex = await newUser(okta, 'rex.r@acme.example', 'rex@acme.example');
      assert.equal((await csv(row('rex.r@acme.example'))).status, 200);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.ok(replaced.body.deactivated_members.some((m: { email: string }) => m.email === 'rex.r@acme.example'), replaced.text);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${rex}`)).status, 204);
      assert.equal((await member('rex.r@acme.example')).scim_user_id, null, 'the departure did not take it off, so it does not claim it');
      await newUser(okta, 'rex.r@acme.example', 'rex@acme.example');
      await sync();
      assert.equal((await member('rex.r@acme.example')).active, false, 'the file took it off; SCIM bringing the person back does not give it back');
      assert.ok(!(await granted()).has('rex.r@acme.example'));

      const listed = await csv(row('rex.r@acme.example'));
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.access_changed, 1);
      assert.equal((await member('rex.r@acme.example')).active, true, 'a file listing it again turns it on');
      assert.ok((await granted()).has('rex.r@acme.example'));
    });

    it('review v7 F2: so does one tied to the person before the replace import (an earlier de-provisioning and re-activation tied it)', async () => {
      const noa = await newUser(okta, 'noa.p@acme.example', 'noa@acme.example');
      assert.equal((await csv(row('noa.p@acme.example'))).status, 200);
      await setActive(okta, noa, false);
      await setActive(okta, noa, true);
      assert.deepEqual([(await member('noa.p@acme.example')).active, (await member('noa.p@acme.example')).scim_user_id], [true, noa]);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal((await member('noa.p@acme.example')).active, false);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${noa}`)).status, 204);
      await newUser(okta, 'noa.p@acme.example', 'noa@acme.example');
      await sync();
      assert.equal((await member('noa.p@acme.example')).active, false, 'the file took it off; SCIM bringing the person back does not give it back');
      assert.ok(!(await granted()).has('noa.p@acme.example'));
    });

    it('review v7 F2: a file that lists the member again while the person is gone makes it SCIM’s to give back: a rehire and a sync turn it on', async () => {
      const sam = await newUser(okta, 'sam.q@acme.example', 'sam@acme.example');
      assert.equal((await csv(row('sam.q@acme.example'))).status, 200);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${sam}`)).status, 204);
      const listed = await csv(row('sam.q@acme.example'));
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.deprovisioned, 1, 'SCIM took the person away: the row stays off');
      const rehired = await newUser(okta, 'sam.q@acme.example', 'sam@acme.example');
      await sync();
      assert.deepEqual([(await member('sam.q@acme.example')).active, (await member('sam.q@acme.example')).scim_user_id], [true, rehired]);
    });

    it('review v7 F2: a re-activation leaves off a login member a replace import took off, as a rehire does', async () => {
      const val = await newUser(okta, 'val.d@acme.example', 'val@acme.example');
      assert.equal((await csv(row('val.d@acme.example'))).status, 200);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      await setActive(okta, val, false);
      await setActive(okta, val, true);
      const reactivated = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'user_reactivated', subject: val }).orderBy('seq', 'desc').first()) as { data: unknown };
      assert.deepEqual(dataOf(reactivated).roster_members_reactivated, []);
      assert.equal((await member('val.d@acme.example')).active, false);
      await sync();
      assert.equal((await member('val.d@acme.example')).active, false);
      assert.ok(!(await granted()).has('val.d@acme.example'));
      assert.equal((await member('val@acme.example')).active, true, 'the member at the work email is the IdP’s, and back');
    });

    it('review v8b F2: a member SCIM took off before a replace import left it out becomes the file’s: reported as kept_off, and a rehire’s sync leaves it off until a file lists it again', async () => {
      const pia = await newUser(okta, 'pia.s@acme.example', 'pia@acme.example');
      assert.equal((await csv(row('pia.s@acme.example'))).status, 200);
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${pia}`)).status, 204);
      const gone = await member('pia.s@acme.example');
      assert.deepEqual([gone.active, gone.off_by_file], [false, false]);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.ok(!replaced.body.deactivated_members.some((m: { email: string }) => m.email === 'pia.s@acme.example'), 'it was off already: this import took nobody’s access');
      assert.ok(replaced.body.kept_off_members.some((m: { id: string; email: string }) => m.email === 'pia.s@acme.example' && m.id === gone.id), replaced.text);
      assert.equal(replaced.body.kept_off, replaced.body.kept_off_members.length);
      const ev = (await cp.db('governance_events').where({ tenant_id: t.id, type: 'roster.csv_imported' }).orderBy('seq', 'desc').first()) as { data: unknown };
      assert.deepEqual(dataOf(ev).kept_off_members, replaced.body.kept_off_members);
      assert.equal((await member('pia.s@acme.example')).off_by_file, true);

      await newUser(okta, 'pia.s@acme.example', 'pia@acme.example');
      await sync();
      assert.equal((await member('pia.s@acme.example')).active, false, 'the file left the person out; the rehire does not give the old member back');
      assert.ok(!(await granted()).has('pia.s@acme.example'));

      const again = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(again.status, 200, again.text);
      assert.ok(!again.body.kept_off_members.some((m: { email: string }) => m.email === 'pia.s@acme.example'), 'a later replace reports only what it marks');

      const listed = await csv(row('pia.s@acme.example'));
      assert.equal(listed.status, 200, listed.text);
      assert.equal((await member('pia.s@acme.example')).active, true, 'a file listing it again turns it on');
      assert.ok((await granted()).has('pia.s@acme.example'));
    });

    it('review v8b F2: so does a re-activation: a member SCIM took off, then left out by a replace import, stays off when the person is re-activated', async () => {
      const ida = await newUser(okta, 'ida.r@acme.example', 'ida@acme.example');
      assert.equal((await csv(row('ida.r@acme.example'))).status, 200);
      await setActive(okta, ida, false);
      const replaced = await csv('email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n', '?mode=replace&max_removals=100');
      assert.equal(replaced.status, 200, replaced.text);
      assert.ok(replaced.body.kept_off_members.some((m: { email: string }) => m.email === 'ida.r@acme.example'), replaced.text);
      await setActive(okta, ida, true);
      assert.equal((await member('ida.r@acme.example')).active, false);
      await sync();
      assert.equal((await member('ida.r@acme.example')).active, false);
      assert.ok(!(await granted()).has('ida.r@acme.example'));
    });

    it('review v8b F2: a replace import leaves alone an inactive member the file lists, or that an active SCIM user holds, and does not count the ones it keeps off against max_removals', async () => {
      const ids = await Promise.all([newUser(okta, 'ned.o@acme.example', 'ned@acme.example'), newUser(okta, 'ora.p@acme.example', 'ora@acme.example'), newUser(okta, 'pat.q@acme.example', 'pat@acme.example')]);
      // ora's row is at her work email, the address SCIM keeps her on the roster by.
      const rows = ['ned.o@acme.example', 'ora@acme.example', 'pat.q@acme.example'];
      const file = (...listed: string[]) => `email,first_name,last_name,title\nfiller.f2@acme.example,S,E,Software Engineer\n${listed.map((l) => `${l},Some,One,Software Engineer\n`).join('')}`;
      // Only these are active CSV members from here on (other tests' members go off now).
      const first = await csv(file(...rows), '?mode=replace&max_removals=1000');
      assert.equal(first.status, 200, first.text);
      for (const id of ids) await setActive(okta, id, false);
      assert.deepEqual(await Promise.all(rows.map(async (r) => (await member(r)).active)), [false, false, false]);
      // ora is rehired and not synced yet: an active user holds her address again, so it is the IdP's.
      assert.equal((await scim(cp, okta)('DELETE', `/Users/${ids[1]}`)).status, 204);
      await newUser(okta, 'ora.p@acme.example', 'ora@acme.example');

      const res = await csv(file('ned.o@acme.example'), '?mode=replace&max_removals=0');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.deactivated, 0);
      assert.deepEqual(res.body.kept_off_members.map((m: { email: string }) => m.email), ['pat.q@acme.example'], 'listed: ned; held by an active user: ora');
      assert.equal(res.body.kept_off, 1);
      assert.deepEqual(await Promise.all(rows.map(async (r) => (await member(r)).off_by_file)), [false, false, true]);
    });

    it('the same login in another directory: the member there is listed as kept active, and the departing copy is the one that held it', async () => {
      const oktaKim = await newUser(okta, 'kim.l@acme.example', 'kim@acme.example');
      await newUser(entra, 'kim.l@acme.example', 'kim.new@acme.example');
      assert.equal((await csv(row('kim.l@acme.example'))).status, 200);
      await sync();
      const atLogin = await member('kim.l@acme.example');
      const atWork = await member('kim@acme.example');
      await setActive(okta, oktaKim, false);
      const data = dataOf(await revokedEvent(oktaKim));
      assert.deepEqual(data.roster_members_kept_active, [atLogin.id]);
      assert.deepEqual(data.roster_members_deactivated, [atWork.id]);
      assert.equal((await member('kim.l@acme.example')).active, true);
    });

    it('a member tied to the departing copy at the address it had before its last change is listed as kept when another copy keeps it', async () => {
      const oktaAl = await newUser(okta, 'al@acme.example', 'al@acme.example');
      const entraAl = await newUser(entra, 'al@acme.example', 'al@acme.example');
      // The Okta copy changed last: the member follows it.
      const retitled = await scim(cp, okta)('PATCH', `/Users/${oktaAl}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Staff Software Engineer' }] });
      assert.equal(retitled.status, 200, retitled.text);
      await sync();
      const m = await member('al@acme.example');
      assert.equal(m.scim_user_id, oktaAl);
      // Okta gives its copy another address, then de-provisions it before any sync.
      const moved = await scim(cp, okta)('PATCH', `/Users/${oktaAl}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails', value: [{ primary: true, value: 'al.other@acme.example', type: 'work' }] }] });
      assert.equal(moved.status, 200, moved.text);
      await setActive(okta, oktaAl, false);
      const data = dataOf(await revokedEvent(oktaAl));
      assert.deepEqual(data.roster_members_kept_active, [m.id]);
      const kept = await member('al@acme.example');
      assert.deepEqual([kept.active, kept.scim_user_id], [true, entraAl]);
    });

    it("removing a directory: its users still active when reported, a departed work email another directory's user signs in with stays off", async () => {
      const gone = await makeDirectory(cp, t, 'onelogin');
      const stays = await makeDirectory(cp, t, 'jumpcloud');
      const max = await newUser(gone, 'mwolf', 'max@acme.example');
      const maxine = await newUser(stays, 'max@acme.example', 'maxine@acme.example');
      await sync();
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${gone.id}`, { token: t.token })).status, 204);
      const m = await member('max@acme.example');
      assert.equal(m.active, false, "Maxine's login does not keep Max's work email");
      assert.notEqual(m.scim_user_id, maxine);
      assert.ok(!(await granted()).has('max@acme.example'));
      void max;
    });

    it('the check for a departed work email is one probe of an index, not a read of the tenant’s users', async function () {
      // A query plan is PostgreSQL's: PGlite answers as well, but its plans are not what production runs.
      if (kind !== 'pg') this.skip();
      const big = await cp.createTenant();
      const dir = await makeDirectory(cp, big, 'okta');
      const seed = await scim(cp, dir)('POST', '/Users', user('seed@acme.example'));
      assert.equal(seed.status, 201, seed.text);
      // 5,000 users, a tenth inactive, every other one signing in with a login that is not their email.
      const cols = ((await cp.db.raw(`SELECT column_name FROM information_schema.columns WHERE table_name = 'scim_users' AND table_schema = current_schema()`)).rows as Array<{ column_name: string }>).map((r) => r.column_name).filter((c) => c !== 'seq');
      const own: Record<string, string> = {
        id: `'usr_big' || i`,
        user_name: `'big' || i || CASE WHEN i % 2 = 0 THEN '.l' ELSE '' END || '@acme.example'`,
        user_name_lower: `'big' || i || CASE WHEN i % 2 = 0 THEN '.l' ELSE '' END || '@acme.example'`,
        email: `'big' || i || '@acme.example'`,
        active: 'i % 10 <> 0',
      };
      await cp.db.raw(`INSERT INTO scim_users (${cols.join(', ')}) SELECT ${cols.map((c) => own[c] ?? c).join(', ')} FROM scim_users, generate_series(1, 5000) AS i WHERE id = ?`, [seed.body.id]);
      await cp.db.raw('ANALYZE scim_users');
      const scope = new TenantScope(cp.db, big.id);
      const directories = await directoryIds(scope);
      const asked: Array<{ sql: string; bindings: unknown[] }> = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) => asked.push({ sql: q.sql, bindings: q.bindings ?? [] });
      cp.db.on('query', listen);
      // big2.l@ is user 2's login and nobody's work email: the login speaks for it, once no departed user is found to have it as work email.
      const holders = await holdersOf(scope, 'big2.l@acme.example', { active: true, logins: true, directories });
      cp.db.off('query', listen);
      assert.deepEqual(holders.map((h) => h.id), ['usr_big2']);
      const check = asked.find((q) => /trim\(coalesce/.test(q.sql));
      assert.ok(check, asked.map((q) => q.sql).join('\n'));
      const plan = ((await cp.db.raw(`EXPLAIN ${check.sql.replace(/\$\d+/g, '?')}`, check.bindings as never[])).rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).join('\n');
      assert.match(plan, /scim_users_departed_address/, plan);
    });
  });
}
