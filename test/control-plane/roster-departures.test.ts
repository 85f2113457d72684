import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { makeDirectory, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';
import { computeGrants } from '../../control-plane/src/distribution/grants.js';
import { TenantScope } from '../../control-plane/src/db/tenant-scope.js';
import { departures, PROBED } from '../../control-plane/src/roster/holders.js';

/**
 * What roster/holders.ts departures() answers, pinned on one tenant that has every case its
 * callers (a publish's grants, a CSV import, a sync's returnedLogins) depend on, so that a faster
 * implementation has to give the same answers. The rules, as the code implements them:
 *
 * 1. An address appears only if a de-provisioned SCIM user of the tenant holds it (inactive, or
 *    deleted: SCIM DELETE de-provisions first, so a deleted user is inactive too). An address only
 *    live users hold is in neither map; so is one whose users left with their directory (the rows
 *    are gone). Other tenants' users never count.
 * 2. A user holds its roster address (the work email trimmed and lowercased, or the userName when
 *    there is no email and the userName is an address) and its login (the userName lowercased,
 *    when it is an address). A userName that is no address holds nothing as login.
 * 3. An address is `live` when an active, undeleted user holds it, where a work email outweighs a
 *    login: if any user, live or departed, has it as work email, only live users having it as work
 *    email count; a live login alone keeps it live only where nobody has it as work email (the same
 *    UPN in two directories, a rehire under the same login), never a departed person's work email
 *    (a reused UPN: the bystander).
 * 4. Otherwise it is `deprovisioned`.
 * 5. `live` names the live holder that speaks for the person (holders.ts byPreference: changed
 *    last, then created first); `deprovisioned` names the departed user that does, among those
 *    that had it as work email if any, else among those that had it as login.
 * 6. Every address is in at most one of the two maps. `only` restricts the answer to the addresses
 *    it names (an empty set answers nothing), without changing any answer inside it.
 *
 * The roster itself (CSV members, off_by_file after a replace import) is no input: the tenant has
 * such members, and the answers do not depend on them. computeGrants, which reads departures()
 * for every publish, is pinned too.
 */
for (const kind of dbKinds()) {
  describe(`roster departures(): who SCIM took away, and who holds the address now [${kind}]`, function () {
    this.timeout(180_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let okta: Directory;
    let entra: Directory;
    const ids = new Map<string, string>();

    const newUser = async (dir: Directory, label: string, login: string, work: string | null) => {
      const res = await scim(cp, dir)('POST', '/Users', user(login, { title: 'Software Engineer', emails: work ? [{ primary: true, value: work, type: 'work' }] : [] }));
      assert.equal(res.status, 201, res.text);
      ids.set(res.body.id, label);
      return res.body.id as string;
    };
    const setActive = async (dir: Directory, id: string, active: boolean) => {
      const res = await scim(cp, dir)('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
      assert.equal(res.status, 200, res.text);
    };
    const remove = async (dir: Directory, id: string) => assert.equal((await scim(cp, dir)('DELETE', `/Users/${id}`)).status, 204);
    const csv = async (text: string, query = '') => {
      const res = await cp.request('POST', `/api/v1/roster/csv${query}`, { token: t.token, raw: text, headers: { 'content-type': 'text/csv' } });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    /** The answer with user ids replaced by the labels given at creation, sorted by address. */
    const answer = async (only?: ReadonlySet<string>) => {
      const d = await departures(new TenantScope(cp.db, t.id), only);
      const named = (m: Map<string, string>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([a, id]) => [a, ids.get(id) ?? id]));
      return { deprovisioned: named(d.deprovisioned), live: named(d.live) };
    };

    const A = (local: string) => `${local}@acme.example`;
    const EXPECTED = {
      deprovisioned: {
        [A('ana')]: 'ana',
        [A('ana.upn')]: 'ana',
        [A('bob')]: 'bob',
        [A('bob.k')]: 'bob',
        [A('cora')]: 'cora',
        [A('eve.old')]: 'eve (okta)',
        [A('fay')]: 'fay (entra)',
        [A('fay.e')]: 'fay (entra)',
        [A('fay.o')]: 'fay (okta)',
        [A('gil')]: 'gil',
        [A('gus')]: 'gus',
        [A('ivan')]: 'ivan',
        [A('jo')]: 'jo',
        [A('kim')]: 'kim',
        [A('lee.upn')]: 'lee',
        [A('pia.upn')]: 'pia (old)',
      },
      live: {
        [A('ben')]: 'ben (rehired)',
        [A('ben.upn')]: 'ben (rehired)',
        [A('carl')]: 'carl',
        [A('dana')]: 'dana (entra)',
        [A('eve.upn')]: 'eve (entra)',
        [A('lee')]: 'lee2',
        [A('pia')]: 'pia (new)',
      },
    };

    before(async function () {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      assert.equal((await cp.request('POST', '/api/v1/skill-entitlement/coworks/enterprise/apply', { token: t.token })).status, 201);
      okta = await makeDirectory(cp, t, 'okta');
      entra = await makeDirectory(cp, t, 'entra');

      // A plain departure: both addresses (work email, and the UPN login) are gone.
      const ana = await newUser(okta, 'ana', A('ana.upn'), A('ana'));
      // A rehire: deleted, then provisioned again under the same login and work email.
      await remove(okta, await newUser(okta, 'ben (deleted)', A('ben.upn'), A('ben')));
      await newUser(okta, 'ben (rehired)', A('ben.upn'), A('ben'));
      // The bystander: Robert signs in as bob@, Bob's work email; Bob leaves, Robert stays.
      const bob = await newUser(okta, 'bob', A('bob.k'), A('bob'));
      await newUser(okta, 'robert', A('bob'), A('robert'));
      // The other way round: Cora, who signed in as carl@, leaves; Carl, whose work email it is, stays.
      await newUser(okta, 'carl', A('carl.upn'), A('carl'));
      const cora = await newUser(okta, 'cora', A('carl'), A('cora'));
      // An IdP migration: the Okta copy is de-provisioned, the Entra copy is active.
      const dana = await newUser(okta, 'dana (okta)', A('dana'), A('dana'));
      await newUser(entra, 'dana (entra)', A('dana'), A('dana'));
      // A migration under the same UPN login with another work email in each directory.
      const eve = await newUser(okta, 'eve (okta)', A('eve.upn'), A('eve.old'));
      await newUser(entra, 'eve (entra)', A('eve.upn'), A('eve'));
      // Two departed copies of one person: the one changed last speaks for her.
      const fayOkta = await newUser(okta, 'fay (okta)', A('fay.o'), A('fay'));
      const fayEntra = await newUser(entra, 'fay (entra)', A('fay.e'), A('fay'));
      // Two departed people at one address, one by work email, one (changed later) by login.
      const gus = await newUser(okta, 'gus', 'gus', A('gus'));
      const gil = await newUser(entra, 'gil', A('gus'), A('gil'));
      // A userName that is no address holds nothing as login.
      const ivan = await newUser(okta, 'ivan', 'ivan', A('ivan'));
      // No work email: the userName is the roster address.
      const jo = await newUser(okta, 'jo', A('jo'), null);
      // A work email sent in capitals is the same address.
      const kim = await newUser(okta, 'kim', 'kim', 'Kim@ACME.example');
      // A departed person's work email held by a live user's work email in other capitals.
      const lee = await newUser(okta, 'lee', A('lee.upn'), A('lee'));
      await newUser(entra, 'lee2', A('lee.other'), 'LEE@acme.example');
      // A directory removed altogether takes its users along: nothing is known of them.
      const old = await makeDirectory(cp, t, 'onelogin');
      await newUser(old, 'hal', A('hal.upn'), A('hal'));
      assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${old.id}`, { token: t.token })).status, 204);
      await newUser(entra, 'hal (new)', A('hal.upn'), A('hal'));
      // Moved to a new login and work email after leaving; the old ones stay departed.
      await remove(okta, await newUser(okta, 'pia (old)', A('pia.upn'), A('pia')));
      await newUser(entra, 'pia (new)', A('pia.k'), A('pia'));
      // Active, never departed.
      await newUser(okta, 'zoe', A('zoe.upn'), A('zoe'));

      await csv(
        'email,first_name,last_name,title\n' +
          [A('ana.upn'), A('ben.upn'), A('carl'), A('eve.upn'), A('lee.upn'), A('oscar'), A('zoe.upn')].map((e) => `${e},Some,One,Software Engineer`).join('\n') +
          '\n',
      );
      assert.equal((await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token })).status, 200);

      await setActive(okta, ana, false);
      await setActive(okta, bob, false);
      await setActive(okta, cora, false);
      await setActive(okta, dana, false);
      await setActive(okta, eve, false);
      await setActive(okta, fayOkta, false);
      await setActive(entra, fayEntra, false);
      await setActive(okta, gus, false);
      await setActive(entra, gil, false);
      await setActive(okta, ivan, false);
      await setActive(okta, jo, false);
      await remove(okta, kim);
      await setActive(okta, lee, false);

      // Oscar (CSV only) and the departed Lee's login member are left out by a replace: off_by_file.
      const replaced = await csv(
        'email,first_name,last_name,title\n' + [A('ana.upn'), A('ben.upn'), A('carl'), A('eve.upn'), A('zoe.upn')].map((e) => `${e},Some,One,Software Engineer`).join('\n') + '\n',
        '?mode=replace&max_removals=10',
      );
      assert.deepEqual(
        replaced.deactivated_members.map((m: { email: string }) => m.email),
        [A('oscar')],
      );
      assert.deepEqual(
        replaced.kept_off_members.map((m: { email: string }) => m.email),
        [A('lee.upn')],
      );

      // Another tenant's departures are its own: the same addresses there change nothing here.
      const other = await cp.createTenant();
      const otherDir = await makeDirectory(cp, other, 'okta');
      for (const [login, work] of [
        [A('zoe.upn'), A('zoe')],
        [A('carl'), A('carl.x')],
        [A('nora.upn'), A('nora')],
      ] as const) {
        const res = await scim(cp, otherDir)('POST', '/Users', user(login, { emails: [{ primary: true, value: work, type: 'work' }] }));
        assert.equal(res.status, 201, res.text);
        await setActive(otherDir, res.body.id, false);
      }
    });
    after(async () => {
      await cp?.close();
    });

    it('answers for the whole tenant: each departed address, and who holds it now where someone does', async () => {
      assert.deepEqual(await answer(), EXPECTED);
    });

    it('answers for the addresses asked only, the same as for the whole tenant', async () => {
      const only = new Set([A('ana'), A('ana.upn'), A('ben.upn'), A('bob'), A('robert'), A('carl'), A('eve.upn'), A('eve'), A('hal'), A('lee'), A('nora'), A('zoe'), A('nobody')]);
      const pick = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([a]) => only.has(a)));
      assert.deepEqual(await answer(only), { deprovisioned: pick(EXPECTED.deprovisioned), live: pick(EXPECTED.live) });
      assert.deepEqual(await answer(new Set([A('zoe'), A('hal'), A('robert')])), { deprovisioned: {}, live: {} });
      assert.deepEqual(await answer(new Set()), { deprovisioned: {}, live: {} });
    });

    const GRANTED = [A('ben'), A('ben.upn'), A('carl'), A('dana'), A('eve'), A('eve.upn'), A('hal'), A('lee'), A('pia'), A('robert'), A('zoe'), A('zoe.upn')].sort();
    const granted = async () => [...new Set((await computeGrants(cp.db, t.id)).map((g) => g.email))].sort();

    it("a publish's grants, which read it, are unchanged", async () => {
      assert.deepEqual(await granted(), GRANTED);
    });

    it('gives the same answers once the tenant has more departed users than it probes one by one (holders.ts PROBED)', async () => {
      // Provisioned inactive, each at a login and a work email of its own.
      const extra: Record<string, string> = {};
      for (let i = 0; i <= PROBED; i++) {
        const res = await scim(cp, okta)('POST', '/Users', user(A(`left${i}.upn`), { active: false, emails: [{ primary: true, value: A(`left${i}`), type: 'work' }] }));
        assert.equal(res.status, 201, res.text);
        ids.set(res.body.id, `left${i}`);
        extra[A(`left${i}`)] = `left${i}`;
        extra[A(`left${i}.upn`)] = `left${i}`;
      }
      const whole = await answer();
      assert.deepEqual(whole.live, EXPECTED.live);
      assert.deepEqual(whole.deprovisioned, { ...EXPECTED.deprovisioned, ...extra });
      const only = new Set([A('ana'), A('bob'), A('robert'), A('carl'), A('eve.upn'), A('lee'), A('left0'), A('left1.upn'), A('nobody')]);
      const pick = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([a]) => only.has(a)));
      assert.deepEqual(await answer(only), { deprovisioned: pick({ ...EXPECTED.deprovisioned, ...extra }), live: pick(EXPECTED.live) });
      assert.deepEqual(await granted(), GRANTED);
    });
  });
}
