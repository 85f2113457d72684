import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { makeDirectory, scim, user } from './helpers.js';

// SCIM token rotation with an overlap (review r3 L1): the IdP keeps provisioning with the old
// token until the admin has pasted the new one, within the overlap the rotation asked for.
for (const kind of dbKinds()) {
  describe(`scim token rotation overlap [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    const rotate = (t: { token: string }, id: string, body?: unknown) => cp.request('POST', `/api/v1/identity/scim/directories/${id}/token:rotate`, { token: t.token, ...(body === undefined ? {} : { body }) });

    it('keeps the replaced token working for token_overlap_seconds, reports when it stops, then refuses it', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta');
      const before = Date.now();
      const rot = await rotate(t, d.id, { token_overlap_seconds: 3600 });
      assert.equal(rot.status, 200, rot.text);
      assert.equal(rot.headers.get('cache-control'), 'no-store');
      const until = Date.parse(rot.body.previous_token_expires_at);
      assert.ok(until >= before + 3600_000 - 60_000 && until <= Date.now() + 3600_000 + 60_000, rot.body.previous_token_expires_at);
      const fresh = scim(cp, { ...d, token: rot.body.bearer_token });
      const old = scim(cp, d);
      assert.equal((await old('POST', '/Users', user('during@acme.example'))).status, 201, 'the old token still provisions during the overlap');
      assert.equal((await fresh('GET', '/Users')).status, 200);

      const read = await cp.request('GET', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token });
      assert.equal(read.body.previous_token_expires_at, rot.body.previous_token_expires_at);
      assert.equal(read.body.bearer_token, null);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.credential_rotated', subject: d.id }).first();
      assert.deepEqual(ev.data, { kind: 'scim_idp', idp: 'okta', token_overlap_seconds: 3600, previous_token_expires_at: rot.body.previous_token_expires_at });
      const stored = JSON.stringify(await cp.db('scim_directories').where({ id: d.id }).first()) + JSON.stringify(await cp.db('governance_events').where({ tenant_id: t.id }));
      for (const token of [d.token, rot.body.bearer_token]) assert.ok(!stored.includes(token), 'only hashes are stored, and nothing is audited');

      // The overlap's end, moved into the past rather than waited for.
      await cp.db('scim_directories').where({ id: d.id }).update({ previous_token_expires_at: new Date(Date.now() - 1000) });
      const late = await old('GET', '/Users');
      assert.equal(late.status, 401, 'the old token stops once the overlap is over');
      assert.deepEqual(late.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      assert.equal((await fresh('GET', '/Users')).status, 200);
      assert.equal((await cp.request('GET', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token })).body.previous_token_expires_at, null);
    });

    it('without a body (or with 0) the old token stops at once, as before; a second rotation keeps only the token it replaced', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'entra');
      const plain = await rotate(t, d.id);
      assert.equal(plain.status, 200, plain.text);
      assert.equal(plain.body.previous_token_expires_at, null);
      assert.equal((await scim(cp, d)('GET', '/Users')).status, 401);
      const t1 = plain.body.bearer_token as string;

      const a = await rotate(t, d.id, { token_overlap_seconds: 600 });
      const b = await rotate(t, d.id, { token_overlap_seconds: 600 });
      assert.equal(b.status, 200);
      assert.equal((await scim(cp, { ...d, token: t1 })('GET', '/Users')).status, 401, 'the token two rotations back is gone');
      assert.equal((await scim(cp, { ...d, token: a.body.bearer_token })('GET', '/Users')).status, 200, 'the one just replaced still works');
      // A leak found during the overlap: rotating with 0 ends it.
      const stop = await rotate(t, d.id, { token_overlap_seconds: 0 });
      assert.equal(stop.body.previous_token_expires_at, null);
      assert.equal((await scim(cp, { ...d, token: a.body.bearer_token })('GET', '/Users')).status, 401);
      assert.equal((await scim(cp, { ...d, token: b.body.bearer_token })('GET', '/Users')).status, 401);
      assert.equal((await scim(cp, { ...d, token: stop.body.bearer_token })('GET', '/Users')).status, 200);
    });

    it("refuses a bad overlap naming the field and changes nothing; the replaced token opens only its own directory", async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta');
      const other = await makeDirectory(cp, t, 'okta');
      const row = await cp.db('scim_directories').where({ id: d.id }).first();
      const events = await cp.count('governance_events');
      for (const [body, field] of [
        [{ token_overlap_seconds: -1 }, 'token_overlap_seconds'],
        [{ token_overlap_seconds: 604801 }, 'token_overlap_seconds'],
        [{ token_overlap_seconds: 1.5 }, 'token_overlap_seconds'],
        [{ secret_overlap_seconds: 60 }, 'secret_overlap_seconds'],
      ] as const) {
        const r = await rotate(t, d.id, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.field, field, JSON.stringify(body));
      }
      assert.deepEqual(await cp.db('scim_directories').where({ id: d.id }).first(), row);
      assert.equal(await cp.count('governance_events'), events);
      assert.equal((await scim(cp, d)('GET', '/Users')).status, 200);

      await rotate(t, d.id, { token_overlap_seconds: 600 });
      assert.equal((await scim(cp, { ...other, token: d.token })('GET', '/Users')).status, 401, "the replaced token is checked against its own directory's row only");
    });

    it('offboarding ends an overlap: the replaced token opens nothing and is not kept', async () => {
      const t = await cp.createTenant();
      const d = await makeDirectory(cp, t, 'okta');
      assert.equal((await rotate(t, d.id, { token_overlap_seconds: 3600 })).status, 200);
      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${t.id}`, { token: cp.operatorToken })).status, 204);
      assert.equal((await scim(cp, d)('GET', '/Users')).status, 401);
      const row = await cp.db('scim_directories').where({ id: d.id }).first();
      assert.equal(row.previous_token_hash, null);
      assert.equal(row.previous_token_expires_at, null);
    });
  });
}
