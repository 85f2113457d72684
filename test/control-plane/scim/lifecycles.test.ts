import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { CORE_GROUP, CORE_USER, ENTERPRISE, makeDirectory, PATCH_OP, scim } from './helpers.js';

const q = (filter: string) => encodeURIComponent(filter);

for (const kind of dbKinds()) {
  describe(`scim lifecycles as the IdPs send them [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    // Request shapes from Okta's SCIM 2.0 provisioning guide and its Runscope test suite.
    it('Okta: import check, create, read, profile push (PUT), deactivate and reactivate (PATCH), group push', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta');
      const okta = scim(cp, d);
      // The SCIM writes' own records; what they cause in RBAC (rbac.*, user_reactivated) is tested with RBAC.
      const events = async () =>
        (await cp.db('governance_events').where({ tenant_id: t.id }).orderBy('seq')).filter((e: any) => e.actor === 'okta:scim' && (e.type.startsWith('scim.') || e.type === 'user_deactivated'));

      const probe = await okta('GET', `/Users?filter=${q('userName eq "jdoe@acme.example"')}&startIndex=1&count=100`);
      assert.equal(probe.status, 200);
      assert.deepEqual([probe.body.totalResults, probe.body.Resources], [0, []]);

      const created = await okta('POST', '/Users', {
        schemas: [CORE_USER],
        userName: 'jdoe@acme.example',
        name: { givenName: 'John', familyName: 'Doe' },
        emails: [{ primary: true, value: 'jdoe@acme.example', type: 'work' }],
        displayName: 'John Doe',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id;
      assert.equal(created.body.active, true);

      const again = await okta('GET', `/Users?filter=${q('userName eq "JDOE@acme.example"')}&startIndex=1&count=100`);
      assert.deepEqual(again.body.Resources.map((u: any) => u.id), [id]);
      assert.equal((await okta('GET', `/Users/${id}`)).body.externalId, '00ujl29u0le5T6Aj10h7');

      const put = await okta('PUT', `/Users/${id}`, {
        schemas: [CORE_USER, ENTERPRISE],
        id,
        userName: 'jdoe@acme.example',
        name: { givenName: 'John', familyName: 'Doe' },
        emails: [{ primary: true, value: 'jdoe@acme.example', type: 'work' }],
        displayName: 'John Doe',
        title: 'Staff Engineer',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        active: true,
        [ENTERPRISE]: { department: 'Platform' },
        meta: { resourceType: 'User' },
      });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.title, 'Staff Engineer');

      const deactivate = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.equal(deactivate.status, 200, deactivate.text);
      assert.equal(deactivate.body.active, false);
      assert.equal(deactivate.body.title, 'Staff Engineer', 'nothing else changed');
      const reactivate = await okta('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
      assert.equal(reactivate.body.active, true);

      const second = await okta('POST', '/Users', { schemas: [CORE_USER], userName: 'asmith@acme.example', name: { givenName: 'Ann', familyName: 'Smith' }, emails: [{ primary: true, value: 'asmith@acme.example', type: 'work' }], active: true });
      const group = await okta('POST', '/Groups', { schemas: [CORE_GROUP], displayName: 'claresia-tenant-admins', members: [] });
      assert.equal(group.status, 201, group.text);
      const gid = group.body.id;
      const addMembers = await okta('PATCH', `/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: 'jdoe@acme.example' }, { value: second.body.id, display: 'asmith@acme.example' }] }],
      });
      assert.equal(addMembers.status, 200, addMembers.text);
      assert.equal(addMembers.body.members.length, 2);
      const rename = await okta('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: gid, displayName: 'claresia-auditors' } }] });
      assert.equal(rename.body.displayName, 'claresia-auditors');
      const removeOne = await okta('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${second.body.id}"]` }] });
      assert.deepEqual(removeOne.body.members.map((m: any) => m.value), [id]);
      const found = await okta('GET', `/Groups?filter=${q('displayName eq "claresia-auditors"')}&startIndex=1&count=100`);
      assert.deepEqual(found.body.Resources.map((g: any) => g.id), [gid]);
      assert.equal((await okta('DELETE', `/Groups/${gid}`)).status, 204);

      assert.deepEqual(
        (await events()).map((e: any) => e.type),
        ['scim.user_created', 'scim.user_updated', 'user_deactivated', 'scim.user_reactivated', 'scim.user_created', 'scim.group_created', 'scim.group_updated', 'scim.group_updated', 'scim.group_updated', 'scim.group_deleted'],
      );
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);
    });

    // Request shapes from Microsoft's "Develop a SCIM endpoint" guide and its validator.
    it('Entra ID: create with the enterprise extension, filter by externalId, Replace/Add with paths, "False", DELETE, groups', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'entra');
      const entra = scim(cp, d);

      const none = await entra('GET', `/Users?filter=${q('userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')}`);
      assert.equal(none.body.totalResults, 0);
      const manager = await entra('POST', '/Users', { schemas: [CORE_USER], userName: 'boss@contoso.example', active: true, displayName: 'Boss' });
      const create = await entra('POST', '/Users', {
        schemas: [CORE_USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
        active: true,
        addresses: [{ primary: false, type: 'work', formatted: '1 Main St', streetAddress: '1 Main St', locality: 'Redmond', region: 'WA', postalCode: '98052', country: 'US' }],
        displayName: 'Test User',
        emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
        phoneNumbers: [{ primary: true, type: 'work', value: '+1 425 555 0100' }],
        preferredLanguage: 'en-US',
        roles: [],
        title: 'Program Manager',
        [ENTERPRISE]: { department: 'Identity', employeeNumber: '123', costCenter: 'CC-7', organization: 'Contoso' },
      });
      assert.equal(create.status, 201, create.text);
      const id = create.body.id;
      assert.equal(create.body.roles, undefined, 'attributes this server does not define are ignored');

      const byExternal = await entra('GET', `/Users?filter=${q('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`);
      assert.deepEqual(byExternal.body.Resources.map((u: any) => u.id), [id]);
      assert.equal((await entra('GET', `/Users?filter=${q('externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"')}`)).body.totalResults, 0, 'externalId is case-exact');

      const update = await entra('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.body.id },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Security' },
          { op: 'Add', path: 'timezone', value: 'America/Los_Angeles' },
        ],
      });
      assert.equal(update.status, 200, update.text);
      assert.equal(update.body.emails[0].value, 'updatedEmail@microsoft.com');
      assert.equal(update.body.name.familyName, 'updatedFamilyName');
      assert.equal(update.body[ENTERPRISE].manager.value, manager.body.id);
      const reports = await entra('GET', `/Users?filter=${q(`${ENTERPRISE}:manager.value eq "${manager.body.id}"`)}`);
      assert.deepEqual(reports.body.Resources.map((u: any) => u.id), [id]);
      const row = await cp.db('scim_users').where({ id }).first();
      assert.deepEqual([row.email, row.department, row.manager_id, row.timezone], ['updatedEmail@microsoft.com', 'Security', manager.body.id, 'America/Los_Angeles']);

      const removeManager = await entra('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `${ENTERPRISE}:manager` }] });
      assert.equal(removeManager.body[ENTERPRISE].manager, undefined);

      const disable = await entra('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      assert.equal(disable.status, 200, disable.text);
      assert.equal(disable.body.active, false);
      const deactivated = await cp.db('governance_events').where({ tenant_id: t.id, type: 'user_deactivated', subject: id }).first();
      assert.equal(deactivated.actor, 'entra:scim');
      const enable = await entra('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
      assert.equal(enable.body.active, true);

      const group = await entra('POST', '/Groups', { externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'claresia-members', meta: { resourceType: 'Group' }, schemas: [CORE_GROUP] });
      assert.equal(group.status, 201, group.text);
      const gid = group.body.id;
      const lookup = await entra('GET', `/Groups?excludedAttributes=members&filter=${q('displayName eq "claresia-members"')}`);
      assert.deepEqual([lookup.body.totalResults, lookup.body.Resources[0].members], [1, undefined]);
      const byId = await entra('GET', `/Groups?excludedAttributes=members&filter=${q(`id eq "${gid}"`)}`);
      assert.equal(byId.body.totalResults, 1);
      const add = await entra('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }, { value: manager.body.id }] }] });
      assert.equal(add.status, 200, add.text);
      const remove = await entra('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: manager.body.id }] }] });
      assert.deepEqual(remove.body.members.map((m: any) => m.value), [id]);
      const rename = await entra('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'claresia-auditors' }] });
      assert.equal(rename.body.displayName, 'claresia-auditors');
      const member = await cp.db('scim_group_members').where({ group_id: gid });
      assert.deepEqual(member.map((m: any) => m.user_id), [id]);

      assert.equal((await entra('GET', '/Users/usr_ffffffffffffffffffffffff')).status, 404);
      const del = await entra('DELETE', `/Users/${id}`);
      assert.equal(del.status, 204);
      assert.equal((await cp.db('scim_users').where({ id }).first()).active, false, 'DELETE de-provisions, the row stays');
      assert.equal((await entra('DELETE', `/Groups/${gid}`)).status, 204);

      const sync = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
      assert.deepEqual([sync.body.users.created, sync.body.users.deprovisioned, sync.body.users.reactivated, sync.body.errors.total], [2, 2, 1, 0]);
      const verify = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: t.token });
      assert.equal(verify.body.ok, true, verify.text);
    });
  });
}
