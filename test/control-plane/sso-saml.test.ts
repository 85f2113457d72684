import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { readAutoPostForm, startSamlIdp, type ResponseTweaks, type SamlIdp } from '../support/idp/saml-idp.js';
import { selfSigned } from '../support/idp/certificates.js';

for (const kind of dbKinds()) {
  describe(`sso connections: SAML [${kind}]`, function () {
    let cp: TestControlPlane;
    let idp: SamlIdp;
    let t: TenantFixture;

    before(async () => {
      idp = await startSamlIdp();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
    });

    const configure = (body: unknown, token = t.token) => cp.request('POST', '/api/v1/identity/sso/configure', { token, body });

    /** Starts a test login and plays the browser: follow the redirect, post the IdP's form to the ACS. */
    async function testLogin(id: string, tweaks: ResponseTweaks = {}) {
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${id}/test`, { token: t.token });
      assert.equal(start.status, 201, start.text);
      idp.tweaks = tweaks;
      const page = await fetch(start.body.redirect_url);
      assert.equal(page.status, 200);
      const form = readAutoPostForm(await page.text());
      const res = await cp.request('POST', new URL(form.action).pathname, {
        raw: new URLSearchParams(form.fields).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      return { start, res, form };
    }

    /** The connection and the audit chain, but for the auth.login_failed a refused answer adds. */
    async function snapshot(id: string) {
      const row = await cp.db('sso_connections').where({ id }).first();
      const events = (await cp.db('governance_events').where({ tenant_id: t.id }).whereNot({ type: 'auth.login_failed' }).count({ n: '*' }))[0]!.n;
      return { events: Number(events), status: row?.status, tested: row?.last_tested_at };
    }

    it('configures from a metadata URL, returns the ACS URL and audience under the public URL, and reads back the same', async () => {
      const res = await configure({ name: ' Test IdP ', protocol: 'saml', metadata_url: idp.metadataUrl });
      assert.equal(res.status, 201, res.text);
      const c = res.body;
      assert.match(c.id, /^sso_[0-9a-f]{16}$/);
      assert.equal(c.name, 'Test IdP');
      assert.equal(c.acs_url, `${cp.url}/api/v1/identity/sso/connections/${c.id}/saml/acs`);
      assert.equal(c.audience_uri, `${cp.url}/api/v1/identity/sso/connections/${c.id}`);
      assert.equal(c.idp_sso_url, idp.ssoUrl, 'the HTTP-Redirect location, not the POST one');
      assert.equal(c.idp_entity_id, idp.entityId);
      assert.match(c.idp_certificate, /^-----BEGIN CERTIFICATE-----\n/);
      assert.equal(c.status, 'untested');
      assert.equal(c.discovery_url, null);
      assert.ok(!('client_secret' in c));
      const read = await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token });
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, c, 'a read right after create returns exactly what create returned');
      const list = await cp.request('GET', `/api/v1/identity/sso/connections?id=${c.id}&id=sso_doesnotexist`, { token: t.token });
      assert.deepEqual(list.body, { items: [c], next_cursor: null });
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.added', subject: c.id }).first();
      assert.equal(ev.data.kind, 'sso');
      assert.equal(ev.data.protocol, 'saml');
    });

    it('configures from uploaded metadata XML and from an SSO URL with certificate and entity ID', async () => {
      const fromXml = await configure({ name: 'xml', protocol: 'saml', metadata_xml: idp.metadataXml() });
      assert.equal(fromXml.status, 201, fromXml.text);
      assert.equal(fromXml.body.idp_entity_id, idp.entityId);
      const manual = await configure({
        name: 'manual',
        protocol: 'saml',
        idp_sso_url: idp.ssoUrl,
        idp_certificate: idp.signing.certificatePem,
        idp_entity_id: idp.entityId,
      });
      assert.equal(manual.status, 201, manual.text);
      assert.equal(manual.body.idp_certificate, idp.signing.certificatePem.trim());
      assert.equal(manual.body.metadata_url, null);
      const { res } = await testLogin(manual.body.id);
      assert.equal(res.status, 200, res.text);
    });

    it('runs a real test login: AuthnRequest out, signed assertion back, connection green with an auth.login event', async () => {
      const c = (await configure({ name: 'round trip', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      const { start, res, form } = await testLogin(c.id);
      assert.equal(idp.lastRequest!.id, start.body.login_id, 'the AuthnRequest ID is the login id');
      assert.equal(idp.lastRequest!.acsUrl, c.acs_url);
      assert.equal(idp.lastRequest!.issuer, c.audience_uri);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'green');
      assert.deepEqual(res.body.user, {
        subject: 'ada@acme.example',
        email: 'ada@acme.example',
        first_name: 'Ada',
        last_name: 'Lovelace',
        groups: ['claresia-admins', 'engineering'],
      });
      const read = await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token });
      assert.equal(read.body.status, 'green');
      assert.ok(read.body.last_tested_at);
      const login = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login', subject: c.id }).first();
      assert.equal(login.data.connection_id, c.id);
      assert.equal(login.data.login_id, start.body.login_id);
      assert.equal(login.actor, 'sso:ada@acme.example');
      assert.equal(await cp.count('sso_login_states', { connection_id: c.id }), 0, 'the request id is used up');
      // The same response again: its request id is gone, so it is a replay.
      const before = await snapshot(c.id);
      const replay = await cp.request('POST', new URL(form.action).pathname, {
        raw: new URLSearchParams(form.fields).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error.code, 'invalid_in_response_to');
      assert.deepEqual(await snapshot(c.id), before);
    });

    it('refuses an answer to a test login that has expired', async () => {
      const c = (await configure({ name: 'late', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      await cp.db('sso_login_states').where({ id: start.body.login_id }).update({ created_at: new Date(Date.now() - 3600_000), expires_at: new Date(Date.now() - 1000) });
      const form = readAutoPostForm(await (await fetch(start.body.redirect_url)).text());
      const before = await snapshot(c.id);
      const res = await cp.request('POST', new URL(form.action).pathname, {
        raw: new URLSearchParams(form.fields).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_in_response_to');
      assert.deepEqual(await snapshot(c.id), before);
      // Starting another login clears the stale one.
      await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      assert.equal(await cp.count('sso_login_states', { id: start.body.login_id }), 0);
    });

    it('refuses each kind of bad response with the runbook code, and changes nothing', async () => {
      const c = (await configure({ name: 'checks', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      const cases: Array<[string, ResponseTweaks, string, string]> = [
        ['wrong certificate', { signWithOtherKey: true }, 'invalid_signature', 'SAMLResponse'],
        ['altered after signing', { tamper: true }, 'invalid_signature', 'SAMLResponse'],
        ['missing email', { omitAttributes: ['email'] }, 'missing_attribute', 'email'],
        ['missing groups', { omitAttributes: ['groups'] }, 'missing_attribute', 'groups'],
        ['missing lastName', { omitAttributes: ['lastName'] }, 'missing_attribute', 'lastName'],
        ['other audience', { audience: 'https://someone-else.example/sp' }, 'invalid_audience', 'SAMLResponse'],
        ['other recipient', { recipient: 'https://someone-else.example/acs' }, 'invalid_recipient', 'SAMLResponse'],
        ['expired', { notBeforeMs: -20 * 60_000, notOnOrAfterMs: -10 * 60_000 }, 'invalid_time_window', 'SAMLResponse'],
        ['not yet valid', { notBeforeMs: 10 * 60_000, notOnOrAfterMs: 20 * 60_000 }, 'invalid_time_window', 'SAMLResponse'],
        ['unsolicited', { inResponseTo: '_not_a_request_we_sent' }, 'invalid_in_response_to', 'SAMLResponse'],
        ['other issuer', { issuer: 'https://evil.example/idp' }, 'invalid_issuer', 'SAMLResponse'],
      ];
      for (const [label, tweaks, code, field] of cases) {
        const before = await snapshot(c.id);
        const { res } = await testLogin(c.id, tweaks);
        assert.equal(res.status, 400, `${label}: ${res.text}`);
        assert.equal(res.body.error.code, code, `${label}: ${res.text}`);
        assert.equal(res.body.error.field, field, label);
        const after = await snapshot(c.id);
        // Starting the test wrote its own event; the failed answer wrote nothing more but its record.
        assert.equal(after.events, before.events + 1, label);
        assert.equal(after.status, 'untested', label);
        const failed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'auth.login_failed' }).orderBy('seq', 'desc').first();
        assert.deepEqual([failed?.data.code, failed?.data.connection_id, failed?.data.field], [code, c.id, field], label);
      }
      const { res } = await testLogin(c.id);
      assert.equal(res.status, 200, 'the connection still works after all that');
    });

    it("reports the IdP's error status with its second-level code and message, cleaned and cut short", async () => {
      const c = (await configure({ name: 'status', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      const start = await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      assert.equal(start.status, 201, start.text);
      // IdPs do not sign error answers (Entra ID, ADFS), and node-saml reads them unsigned.
      const message = `User is not assigned to this application.\r\n\t\u0085\u202e${'x'.repeat(600)}`;
      const xml =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_err1" Version="2.0" ` +
        `IssueInstant="${new Date().toISOString()}" Destination="${c.acs_url}" InResponseTo="${start.body.login_id}">` +
        `<saml:Issuer>${idp.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">` +
        `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode>` +
        `<samlp:StatusMessage>${message}</samlp:StatusMessage></samlp:Status></samlp:Response>`;
      const before = await snapshot(c.id);
      const res = await cp.request('POST', new URL(c.acs_url).pathname, {
        raw: new URLSearchParams({ SAMLResponse: Buffer.from(xml).toString('base64') }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual([res.body.error.code, res.body.error.field], ['idp_error', 'SAMLResponse']);
      assert.match(res.body.error.message, /\(Responder\/RequestDenied: User is not assigned to this application\. x+…\)$/);
      assert.doesNotMatch(res.body.error.message, /[\u0000-\u001f\u0085\u202e]/);
      assert.ok(res.body.error.message.length < 450, res.body.error.message);
      assert.deepEqual(await snapshot(c.id), before);
    });

    it('rejects bad configurations naming the field, writing nothing', async () => {
      const expired = await selfSigned('Expired IdP', new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 86400_000));
      const manual = { name: 'm', protocol: 'saml', idp_sso_url: idp.ssoUrl, idp_certificate: idp.signing.certificatePem, idp_entity_id: idp.entityId };
      const cases: Array<[unknown, string, string]> = [
        [{ name: 'x', protocol: 'saml' }, 'idp_sso_url', 'missing_field'],
        [{ ...manual, idp_entity_id: undefined }, 'idp_entity_id', 'missing_field'],
        [{ name: 'x', protocol: 'saml', metadata_url: idp.metadataUrl, metadata_xml: idp.metadataXml() }, 'metadata_xml', 'invalid_combination'],
        [{ name: 'x', protocol: 'saml', metadata_xml: '<md:EntityDescriptor' }, 'metadata_xml', 'invalid_metadata'],
        [{ name: 'x', protocol: 'saml', metadata_xml: `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp.metadataXml().replace('<?xml version="1.0"?>', '')}` }, 'metadata_xml', 'invalid_metadata'],
        [{ name: 'x', protocol: 'saml', metadata_xml: '<x xmlns="urn:other"/>' }, 'metadata_xml', 'invalid_metadata'],
        [{ name: 'x', protocol: 'saml', metadata_xml: idp.metadataXml().replace('IDPSSODescriptor', 'SPSSODescriptor').replace('IDPSSODescriptor', 'SPSSODescriptor') }, 'metadata_xml', 'invalid_metadata'],
        [{ name: 'x', protocol: 'saml', metadata_url: `${idp.url}/missing` }, 'metadata_url', 'fetch_failed'],
        [{ name: 'x', protocol: 'saml', metadata_url: 'ftp://idp.example/metadata' }, 'metadata_url', 'url_not_allowed'],
        [{ name: 'x', protocol: 'saml', metadata_url: idp.metadataUrl, idp_sso_url: idp.ssoUrl }, 'idp_sso_url', 'invalid_combination'],
        [{ ...manual, idp_certificate: expired.certificatePem }, 'idp_certificate', 'certificate_expired'],
        [{ ...manual, idp_certificate: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----' }, 'idp_certificate', 'invalid_certificate'],
        [{ ...manual, idp_certificate: 'not a pem' }, 'idp_certificate', 'invalid_value'],
        [{ ...manual, discovery_url: 'https://idp.example' }, 'discovery_url', 'invalid_combination'],
        [{ ...manual, client_secret: 's3cret-value' }, 'client_secret', 'invalid_combination'],
        [{ ...manual, protocol: 'ldap' }, 'protocol', 'invalid_value'],
        [{ ...manual, acs_url: 'https://x.example' }, 'acs_url', 'unknown_field'],
      ];
      const before = { c: await cp.count('sso_connections'), e: await cp.count('governance_events') };
      for (const [body, field, code] of cases) {
        const res = await configure(body);
        assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 120)}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.equal(res.body.error.code, code, res.text);
        assert.ok(!res.text.includes('s3cret-value'), 'no secret echoed');
      }
      assert.deepEqual({ c: await cp.count('sso_connections'), e: await cp.count('governance_events') }, before);
    });

    it('updates in place: a rename keeps the status, new IdP settings make it untested again; protocol is fixed', async () => {
      const c = (await configure({ name: 'upd', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      assert.equal((await testLogin(c.id)).res.status, 200);
      const renamed = await cp.request('PATCH', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token, body: { name: 'Renamed' } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.status, 'green');
      const switched = await cp.request('PATCH', `/api/v1/identity/sso/connections/${c.id}`, {
        token: t.token,
        body: { metadata_url: null, idp_sso_url: idp.ssoUrl, idp_certificate: idp.other.certificatePem, idp_entity_id: idp.entityId },
      });
      assert.equal(switched.status, 200, switched.text);
      assert.equal(switched.body.status, 'untested');
      assert.equal(switched.body.metadata_url, null);
      assert.equal(switched.body.idp_certificate, idp.other.certificatePem.trim());
      const changed = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.changed', subject: c.id }).orderBy('seq');
      assert.deepEqual(changed.map((e: any) => Object.keys(e.data.changes).sort()), [['name'], ['idp_certificate', 'metadata_url']]);
      // Signed by the real IdP key, which this connection no longer trusts.
      assert.equal((await testLogin(c.id)).res.body.error.code, 'invalid_signature');
      const before = await cp.count('governance_events');
      const immut = await cp.request('PATCH', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token, body: { protocol: 'oidc' } });
      assert.equal(immut.status, 400);
      assert.equal(immut.body.error.code, 'immutable_field');
      const bad = await cp.request('PATCH', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token, body: { idp_entity_id: null } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'idp_entity_id');
      assert.equal(await cp.count('governance_events'), before);
    });

    it('keeps tenants apart and deletes for good', async () => {
      const c = (await configure({ name: 'mine', protocol: 'saml', metadata_url: idp.metadataUrl })).body;
      const other = await cp.createTenant();
      for (const [method, path] of [
        ['GET', `/api/v1/identity/sso/connections/${c.id}`],
        ['PATCH', `/api/v1/identity/sso/connections/${c.id}`],
        ['DELETE', `/api/v1/identity/sso/connections/${c.id}`],
        ['POST', `/api/v1/identity/sso/connections/${c.id}/test`],
      ] as const) {
        const res = await cp.request(method, path, { token: other.token, ...(method === 'PATCH' ? { body: { name: 'stolen' } } : {}) });
        assert.equal(res.status, 404, `${method} ${path}`);
      }
      const list = await cp.request('GET', '/api/v1/identity/sso/connections', { token: other.token });
      assert.deepEqual(list.body.items, []);
      await cp.request('POST', `/api/v1/identity/sso/connections/${c.id}/test`, { token: t.token });
      const del = await cp.request('DELETE', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token });
      assert.equal(del.status, 204);
      assert.equal((await cp.request('GET', `/api/v1/identity/sso/connections/${c.id}`, { token: t.token })).status, 404);
      assert.equal(await cp.count('sso_login_states', { connection_id: c.id }), 0);
      const ev = await cp.db('governance_events').where({ tenant_id: t.id, type: 'connector.removed', subject: c.id }).first();
      assert.equal(ev.data.kind, 'sso');
    });
  });
}

describe('sso connections: outbound URL guard', function () {
  let cp: TestControlPlane;
  let idp: SamlIdp;
  before(async () => {
    idp = await startSamlIdp();
    cp = await startControlPlane({ db: 'pglite' });
  });
  after(async () => {
    await cp?.close();
    await idp?.close();
  });

  it('refuses loopback and plain-http metadata URLs unless configuration allows private URLs', async () => {
    const t = await cp.createTenant();
    for (const url of [idp.metadataUrl, 'https://127.0.0.1:1/metadata', 'https://169.254.169.254/latest/meta-data']) {
      const res = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'x', protocol: 'saml', metadata_url: url } });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.field, 'metadata_url');
      assert.equal(res.body.error.code, 'url_not_allowed');
    }
    assert.equal(await cp.count('sso_connections'), 0);
  });
});
