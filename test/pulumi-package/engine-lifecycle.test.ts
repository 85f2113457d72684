/**
 * The engine's whole sequence, as `pulumi up`, `pulumi import` and `pulumi refresh` drive it,
 * for the resources programs use most, against a real control plane: Check then Diff against
 * state after create and after an import (Read with only the id), a preview update that must not
 * promise stale outputs the API derives from a changed input, the update's outputs, and a
 * Read of an object deleted outside Pulumi.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { idpMetadata as metadata } from '../support/idp/saml-metadata.js';
import { startOidcIdp } from '../support/idp/oidc-idp.js';
import { isSecret, js, launchPlugin, pb, req, secret, UNKNOWN, urnOf, type Plugin } from './support/engine.js';

const NONE = pb.DiffResponse.DiffChanges.DIFF_NONE;
const SOME = pb.DiffResponse.DiffChanges.DIFF_SOME;

for (const kind of dbKinds()) {
  describe(`pulumi provider, engine lifecycle of tenant resources [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let p: Plugin;
    const certs = [generateServerCertificate().certPem, generateServerCertificate().certPem];

    before(async () => {
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant({ deployment_mode: 'A' });
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    /** `pulumi up` over existing state: Check (olds = inputs in state), then Diff. */
    async function plan(urn: string, id: string, outs: Record<string, unknown>, program: Record<string, unknown>, stateInputs: Record<string, unknown>) {
      const checked = await p.call<any>('check', req.check(urn, program, stateInputs));
      assert.deepEqual(checked.getFailuresList().map((f: any) => f.getReason()), []);
      const news = js(checked.getInputs());
      return { news, diff: await p.call<any>('diff', req.diff(urn, id, outs, news, stateInputs)) };
    }

    /** `pulumi import` / the `import` option: Read with only the id, then the program planned against it. */
    async function imported(urn: string, id: string, program: Record<string, unknown>) {
      const read = await p.call<any>('read', req.read(urn, id, {}));
      assert.equal(read.getId(), id);
      const outs = js(read.getProperties());
      const inputs = js(read.getInputs());
      return { outs, inputs, ...(await plan(urn, id, outs, program, inputs)) };
    }

    it('Check validates names and emails as the API stores them, and returns secret inputs as secrets however the program sent them', async () => {
      const T = urnOf('Tenant', 'acme');
      const tenant = { slug: 'acme-two', displayName: '   ', region: 'eu-west-1', deploymentMode: 'A', billingContact: ' Billing@Acme.example ' };
      const before = await cp.count('tenants');
      const res = await p.call<any>('check', req.check(T, tenant));
      assert.deepEqual(res.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]), [['displayName', 'displayName must not be empty']]);
      assert.equal(await cp.count('tenants'), before);
      const named = await p.call<any>('check', req.check(urnOf('LlmConnector', 'c'), { platform: 'claude', name: ' ', credential: 'sk-ant-0123456789' }));
      assert.deepEqual(named.getFailuresList().map((f: any) => f.getProperty()), ['name']);

      // A program that passes the key as a plain string (YAML, or a value read from a file): the engine records Check's inputs in state.
      const U = urnOf('LlmConnector', 'plain');
      const key = `sk-ant-${Math.random().toString(36).slice(2)}-plain`;
      const checked = await p.call<any>('check', req.check(U, { platform: 'claude', name: 'Claude', credential: key }));
      assert.equal(checked.getFailuresList().length, 0);
      const inputs = js(checked.getInputs());
      assert.deepEqual(inputs.credential, secret(key), 'the credential is a secret in the inputs the engine stores');
      assert.equal(inputs.name, 'Claude', 'other inputs as given');
      const w = await p.call<any>('check', req.check(urnOf('Webhook', 'w'), { url: 'https://hooks.acme.example/x', events: ['user.created'], secret: '0123456789abcdef-plain' }));
      assert.ok(isSecret(js(w.getInputs()).secret));
    });

    it('SsoConnection from metadata: no diff after create or import; new metadata previews the IdP settings and status unknown, and the update returns the new ones', async () => {
      const U = urnOf('SsoConnection', 'okta');
      const program = { name: '  Okta SAML ', protocol: 'saml', metadataXml: metadata(1, certs[0]!) };
      const created = await p.call<any>('create', req.create(U, program));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.equal(outs.idpEntityId, 'http://www.okta.com/exk1');
      assert.equal((await plan(U, id, outs, program, program)).diff.getChanges(), NONE);
      const imp = await imported(U, id, program);
      assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}`);

      // The connection passed a test login; new metadata makes it untested again.
      await cp.db('sso_connections').where({ id }).update({ status: 'green' });
      const tested = js((await p.call<any>('read', req.read(U, id, outs, program))).getProperties());
      assert.equal(tested.status, 'green');

      const rotated = { ...program, metadataXml: metadata(2, certs[1]!) };
      const { news, diff } = await plan(U, id, tested, rotated, program);
      assert.equal(diff.getChanges(), SOME);
      assert.deepEqual(diff.getDiffsList(), ['metadataXml']);
      assert.deepEqual(diff.getReplacesList(), []);
      assert.ok(!diff.getStablesList().includes('status'), 'status changes with the IdP settings: not stable');
      assert.ok(diff.getStablesList().includes('acsUrl'), 'values no input changes stay stable');
      const preview = js((await p.call<any>('update', req.update(U, id, tested, news, true, program))).getProperties());
      for (const k of ['idpEntityId', 'idpSsoUrl', 'idpCertificate', 'status']) assert.equal(preview[k], UNKNOWN, `${k} is read from the new metadata: unknown in the preview`);
      assert.equal(preview.acsUrl, tested.acsUrl);
      const updated = js((await p.call<any>('update', req.update(U, id, tested, news, false, program))).getProperties());
      assert.equal(updated.idpEntityId, 'http://www.okta.com/exk2');
      assert.equal(updated.idpSsoUrl, 'https://acme.okta.example/app/2/sso/saml');
      assert.equal(updated.idpCertificate, certs[1]!.trim());
      assert.equal(updated.status, 'untested');
      assert.equal((await plan(U, id, updated, rotated, news)).diff.getChanges(), NONE);

      // A rename alone leaves what was read from the metadata known.
      const renamed = { ...rotated, name: 'Okta' };
      const r = await plan(U, id, updated, renamed, news);
      assert.deepEqual(r.diff.getDiffsList(), ['name']);
      assert.ok(r.diff.getStablesList().includes('status'));
      const renamePreview = js((await p.call<any>('update', req.update(U, id, updated, r.news, true, news))).getProperties());
      assert.equal(renamePreview.idpEntityId, 'http://www.okta.com/exk2');
      assert.equal(renamePreview.status, 'untested');
      assert.equal(renamePreview.name, 'Okta');
      const spacedPreview = js((await p.call<any>('update', req.update(U, id, updated, { ...r.news, name: '  Okta  ' }, true, news))).getProperties());
      assert.equal(spacedPreview.name, 'Okta', 'the preview shows the name as the API will store it');

      await cp.request('DELETE', `/api/v1/identity/sso/connections/${id}`, { token: t.token });
      assert.equal((await p.call<any>('read', req.read(U, id, updated, news))).getId(), '', 'deleted outside: the engine drops it');
    });

    it('import by an id of the wrong shape says what the id should be, before any API call', async () => {
      const requests = async () => [...(await cp.metrics()).matchAll(/^claresia_http_requests_total\{(?![^}]*metrics)[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      const before = await requests();
      for (const [type, id, words] of [
        ['Tenant', 'acme-r1', /Tenant "acme-r1" is not the tenant's id \(tnt_...\), not its slug; for example tnt_/],
        ['GroupMapping', 'claresia-admins', /GroupMapping "claresia-admins" is not the mapping's id \(gm_\.\.\., listed by GET \/api\/v1\/identity\/group-mappings\), not the group name/],
        ['SkillEntitlement', 'wizards', /SkillEntitlement "wizards" is not the archetype \(eng, data/],
      ] as const) {
        await assert.rejects(p.call('read', req.read(urnOf(type, 'x'), id, {})), (e: Error) => {
          assert.match(e.message, words);
          return true;
        });
      }
      assert.equal(await requests(), before, 'refused without asking the API');
    });

    it('SsoConnection (OIDC): import plans no change for the client secret it cannot read, through a refresh; a later rotation is sent', async () => {
      const idp = await startOidcIdp();
      try {
        const U = urnOf('SsoConnection', 'oidc');
        const program = { name: 'Acme OIDC', protocol: 'oidc', discoveryUrl: idp.discoveryUrl, clientId: 'claresia-web', clientSecret: secret('oidc-secret-one') };
        const created = await p.call<any>('create', req.create(U, program));
        const id = created.getId();
        const imp = await imported(U, id, program);
        assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}: the import would fail`);
        // `pulumi refresh` before the first `pulumi up` keeps that knowledge.
        const refreshed = await p.call<any>('read', req.read(U, id, imp.outs, imp.inputs));
        const again = await plan(U, id, js(refreshed.getProperties()), program, js(refreshed.getInputs()));
        assert.equal(again.diff.getChanges(), NONE);
        // The first `pulumi up` records the program's inputs (a same step); then a rotation is a change, sent.
        const rotated = await plan(U, id, js(refreshed.getProperties()), { ...program, clientSecret: secret('oidc-secret-two') }, again.news);
        assert.deepEqual(rotated.diff.getDiffsList(), ['clientSecret']);
        await p.call('update', req.update(U, id, js(refreshed.getProperties()), rotated.news, false, again.news));
        const row = await cp.db('sso_connections').where({ id }).first();
        assert.equal(await cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.client_secret_enc, `sso_connection:${id}:client_secret`), 'oidc-secret-two');
        // A SAML connection created without a client secret still diffs one the program adds
        // (not marked unread), though Check refuses it first: a client secret is OIDC's alone.
        const saml = { name: 'S', protocol: 'saml', metadataXml: metadata(3, certs[0]!) };
        const S = urnOf('SsoConnection', 's');
        const s = await p.call<any>('create', req.create(S, saml));
        const withSecret = { ...saml, clientSecret: secret('x-secret') };
        const refused = await p.call<any>('check', req.check(S, withSecret, saml));
        assert.deepEqual(refused.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]), [['clientSecret', 'clientSecret does not apply to protocol saml']]);
        const added = await p.call<any>('diff', req.diff(S, s.getId(), js(s.getProperties()), withSecret, saml));
        assert.deepEqual(added.getDiffsList(), ['clientSecret']);
        await p.call('delete', req.delete(urnOf('SsoConnection', 's'), s.getId(), js(s.getProperties())));
        await p.call('delete', req.delete(U, id, js(refreshed.getProperties())));
      } finally {
        await idp.close();
      }
    });

    it('LlmConnector: import plans no change though the credential cannot be read; a new base URL previews status unknown; a rotated credential is sent', async () => {
      const U = urnOf('LlmConnector', 'claude');
      const key = `sk-ant-${Math.random().toString(36).slice(2)}-first`;
      const program = { platform: 'claude', name: ' Claude for Acme ', credential: secret(key) };
      const created = await p.call<any>('create', req.create(U, program));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.equal(outs.baseUrl, 'https://api.anthropic.com');
      assert.equal((await plan(U, id, outs, program, program)).diff.getChanges(), NONE);

      const imp = await imported(U, id, program);
      assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}: the import would fail`);
      assert.ok(!('credential' in imp.inputs));

      await cp.db('llm_connectors').where({ id }).update({ status: 'connected' });
      const tested = js((await p.call<any>('read', req.read(U, id, outs, program))).getProperties());
      assert.equal(tested.status, 'connected');
      const moved = { ...program, baseUrl: 'https://llm-gateway.acme.example' };
      const { news, diff } = await plan(U, id, tested, moved, program);
      assert.deepEqual(diff.getDiffsList(), ['baseUrl']);
      assert.ok(!diff.getStablesList().includes('status') && !diff.getStablesList().includes('statusReason'));
      const preview = js((await p.call<any>('update', req.update(U, id, tested, news, true, program))).getProperties());
      assert.equal(preview.status, UNKNOWN);
      assert.equal(preview.baseUrl, 'https://llm-gateway.acme.example');
      const updated = js((await p.call<any>('update', req.update(U, id, tested, news, false, program))).getProperties());
      assert.equal(updated.status, 'untested');

      // After an import, the state records the program's credential at the next update; a rotation then diffs and is sent.
      const next = `sk-ant-${Math.random().toString(36).slice(2)}-second`;
      const rotated = await plan(U, id, updated, { ...moved, credential: secret(next) }, news);
      assert.deepEqual(rotated.diff.getDiffsList(), ['credential']);
      const preview2 = js((await p.call<any>('update', req.update(U, id, updated, rotated.news, true, news))).getProperties());
      assert.equal(preview2.status, UNKNOWN, 'a new credential makes the connector untested');
      await p.call('update', req.update(U, id, updated, rotated.news, false, news));
      const row = await cp.db('llm_connectors').where({ id }).first();
      assert.equal(await cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.credential_enc, `llm_connector:${id}:credential`), next);
      assert.doesNotMatch(p.stderr(), new RegExp(`${key}|${next}`));

      await cp.request('DELETE', `/api/v1/llm/connectors/${id}`, { token: t.token });
      assert.equal((await p.call<any>('read', req.read(U, id, updated, rotated.news))).getId(), '');
    });

    it('Webhook: events in any order and the secret give no diff after create or import; a real change updates in place', async () => {
      const U = urnOf('Webhook', 'offboarding');
      const program = { url: 'https://hooks.acme.example/claresia', events: ['user.deactivated', 'user.created'], secret: secret('0123456789abcdef-signing') };
      const created = await p.call<any>('create', req.create(U, program));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.deepEqual(outs.events, ['user.created', 'user.deactivated']);
      assert.ok(!('secret' in outs));
      assert.equal((await plan(U, id, outs, program, program)).diff.getChanges(), NONE);
      const imp = await imported(U, id, program);
      assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}`);

      const disabled = { ...program, status: 'disabled' };
      const { news, diff } = await plan(U, id, outs, disabled, program);
      assert.deepEqual(diff.getDiffsList(), ['status']);
      assert.deepEqual(diff.getReplacesList(), []);
      const updated = js((await p.call<any>('update', req.update(U, id, outs, news, false, program))).getProperties());
      assert.equal(updated.status, 'disabled');
      await cp.request('DELETE', `/api/v1/webhooks/${id}`, { token: t.token });
      assert.equal((await p.call<any>('read', req.read(U, id, updated, news))).getId(), '');
    });

    it('GroupMapping: a group in capitals gives no diff after create or import; a role change previews updatedAt unknown and returns the new one', async () => {
      const U = urnOf('GroupMapping', 'data');
      const program = { group: 'Claresia-Data-Pilot', role: 'member', archetype: 'data' };
      const created = await p.call<any>('create', req.create(U, program));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.equal(outs.group, 'claresia-data-pilot');
      assert.equal((await plan(U, id, outs, program, program)).diff.getChanges(), NONE);
      const imp = await imported(U, id, program);
      assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}`);

      await new Promise((r) => setTimeout(r, 5));
      const auditor = { ...program, role: 'auditor' };
      const { news, diff } = await plan(U, id, outs, auditor, program);
      assert.deepEqual(diff.getDiffsList(), ['role']);
      assert.ok(!diff.getStablesList().includes('updatedAt'), 'every change moves updatedAt');
      assert.ok(diff.getStablesList().includes('createdAt'));
      const preview = js((await p.call<any>('update', req.update(U, id, outs, news, true, program))).getProperties());
      assert.equal(preview.updatedAt, UNKNOWN);
      const updated = js((await p.call<any>('update', req.update(U, id, outs, news, false, program))).getProperties());
      assert.equal(updated.role, 'auditor');
      assert.ok(updated.updatedAt > outs.updatedAt, `${updated.updatedAt} after ${outs.updatedAt}`);
      await cp.request('DELETE', `/api/v1/identity/group-mappings/${id}`, { token: t.token });
      assert.equal((await p.call<any>('read', req.read(U, id, updated, news))).getId(), '');
    });

    it('ScimDirectory: an allowlist in any order gives no diff after create or import; the bearer token stays a secret', async () => {
      const U = urnOf('ScimDirectory', 'entra');
      const program = { idp: 'entra', ipAllowlist: ['198.51.100.0/24', '203.0.113.0/24'] };
      const created = await p.call<any>('create', req.create(U, { ...program, ipAllowlist: [...program.ipAllowlist].reverse() }));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.ok(isSecret(outs.bearerToken));
      assert.equal((await plan(U, id, outs, program, program)).diff.getChanges(), NONE);
      const imp = await imported(U, id, program);
      assert.equal(imp.diff.getChanges(), NONE, `import diffs ${imp.diff.getDiffsList()}`);
      await cp.request('DELETE', `/api/v1/identity/scim/directories/${id}`, { token: t.token });
      assert.equal((await p.call<any>('read', req.read(U, id, outs, program))).getId(), '');
    });
  });
}
