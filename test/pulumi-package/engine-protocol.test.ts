/**
 * The provider plugin as the Pulumi engine drives it, against a real control plane:
 * GetSchema, CheckConfig, Configure, Check, Diff, Create, Read, Update, Delete, previews with
 * unknowns, and secrets in and out.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { isSecret, js, launchPlugin, pb, pulumiDir, req, secret, struct, UNKNOWN, urnOf, type Plugin } from './support/engine.js';

const DIFF = pb.DiffResponse.DiffChanges;
const KIND = pb.PropertyDiff.Kind;

function tenantInputs(slug: string, extra: Record<string, unknown> = {}) {
  return { slug, displayName: '  Acme Corp  ', region: 'eu-west-1', deploymentMode: 'B', billingContact: 'Billing@ACME.example', ...extra };
}

describe('pulumi plugin process', function () {
  this.timeout(60_000);

  it('starts without an engine, prints only its port, and serves GetSchema equal to schema.json', async () => {
    const p = await launchPlugin();
    try {
      const res = await p.call<any>('getSchema', new pb.GetSchemaRequest());
      assert.equal(res.getSchema(), readFileSync(path.join(pulumiDir, 'schema.json'), 'utf8'));
      const schema = JSON.parse(res.getSchema());
      assert.equal(schema.name, 'claresia');
      assert.equal(schema.resources['claresia:index:Tenant'].inputProperties.region.willReplaceOnChanges, true);
      const info = await p.call<any>('getPluginInfo', new (await import('google-protobuf/google/protobuf/empty_pb.js')).default.Empty());
      assert.equal(info.getVersion(), schema.version);
    } finally {
      await p.stop();
    }
  });

  it('CheckConfig names the missing or bad setting; the CLARESIA_* environment fills the gaps', async () => {
    const bare = await launchPlugin();
    try {
      const none = await bare.call<any>('checkConfig', req.checkConfig({}));
      const props = none.getFailuresList().map((f: any) => f.getProperty());
      assert.deepEqual(props.sort(), ['endpoint', 'token']);
      const badUrl = await bare.call<any>('checkConfig', req.checkConfig({ endpoint: 'ftp://x', token: secret('t') }));
      assert.deepEqual(badUrl.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]), [['endpoint', 'endpoint must be an http(s) URL']]);
      const halfPair = await bare.call<any>('checkConfig', req.checkConfig({ endpoint: 'https://x.example', clientId: 'sa_1' }));
      assert.deepEqual(halfPair.getFailuresList().map((f: any) => f.getProperty()), ['clientSecret']);
      const ok = await bare.call<any>('checkConfig', req.checkConfig({ endpoint: 'https://x.example', token: secret('t') }));
      assert.equal(ok.getFailuresList().length, 0);
      assert.ok(isSecret(js(ok.getInputs()).token), 'the token stays a secret in the checked inputs');
      const unknown = await bare.call<any>('checkConfig', req.checkConfig({ endpoint: UNKNOWN, clientId: UNKNOWN, clientSecret: UNKNOWN }));
      assert.equal(unknown.getFailuresList().length, 0, 'unknown settings are checked once known');
      await assert.rejects(bare.call('configure', req.configure({})), /endpoint is not set/);

      const diffConfig = (olds: Record<string, unknown>, news: Record<string, unknown>) => {
        const r = new pb.DiffRequest();
        r.setUrn('urn:pulumi:dev::proj::pulumi:providers:claresia::acme');
        r.setOlds(struct(olds));
        r.setNews(struct(news));
        return bare.call<any>('diffConfig', r);
      };
      const moved = await diffConfig({ endpoint: 'https://a.example', token: secret('t') }, { endpoint: 'https://b.example', token: secret('t') });
      assert.equal(moved.getChanges(), pb.DiffResponse.DiffChanges.DIFF_SOME);
      assert.deepEqual(moved.getDiffsList(), ['endpoint']);
      assert.deepEqual(moved.getReplacesList(), [], 'a provider change never replaces the resources');
      const same = await diffConfig({ endpoint: 'https://a.example', token: secret('t') }, { endpoint: 'https://a.example', token: secret('t') });
      assert.equal(same.getChanges(), pb.DiffResponse.DiffChanges.DIFF_NONE);
    } finally {
      await bare.stop();
    }
    const fromEnv = await launchPlugin({ CLARESIA_ENDPOINT: 'https://cp.example', CLARESIA_TOKEN: 'tok' });
    try {
      const res = await fromEnv.call<any>('checkConfig', req.checkConfig({}));
      assert.equal(res.getFailuresList().length, 0);
      const conf = await fromEnv.call<any>('configure', req.configure({}));
      assert.equal(conf.getAcceptsecrets(), true);
      assert.equal(conf.getSupportspreview(), true);
    } finally {
      await fromEnv.stop();
    }
  });
});

for (const kind of dbKinds()) {
  describe(`pulumi provider over gRPC against the control plane [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let op: Plugin;
    let n = 0;
    const slug = () => `pl${++n}-${kind}-${Date.now().toString(36)}`;
    const T = (name = 'acme') => urnOf('Tenant', name);

    before(async () => {
      cp = await startControlPlane({ db: kind });
      op = await launchPlugin();
      const conf = await op.call<any>('configure', req.configure({ endpoint: cp.url, token: secret(cp.operatorToken) }));
      assert.equal(conf.getAcceptsecrets(), true);
    });
    after(async () => {
      await op?.stop();
      await cp?.close();
    });

    it('Check names each bad property, calls no API and writes nothing', async () => {
      const before = await cp.count('tenants');
      const res = await op.call<any>('check', req.check(T(), { slug: 'Not A Slug', displayName: '', region: 'moon-1', deploymentMode: 'B', billingContact: 'nobody', color: 'red' }));
      const failures = res.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]);
      const byProp = Object.fromEntries(failures);
      assert.deepEqual(Object.keys(byProp).sort(), ['billingContact', 'color', 'displayName', 'region', 'slug']);
      assert.match(byProp.slug, /^slug does not match the required pattern /);
      assert.match(byProp.region, /^region must be one of: us-east-1, /);
      assert.match(byProp.billingContact, /email/);
      assert.match(byProp.color, /not an input of Tenant/);
      const missing = await op.call<any>('check', req.check(T(), { slug: 'acme' }));
      assert.deepEqual(missing.getFailuresList().map((f: any) => f.getProperty()).sort(), ['billingContact', 'deploymentMode', 'displayName', 'region']);
      assert.equal(await cp.count('tenants'), before);
    });

    it('Check skips unknown values and keeps secret inputs secret', async () => {
      const res = await op.call<any>('check', req.check(T(), tenantInputs('acme', { displayName: UNKNOWN, billingContact: secret('b@acme.example') })));
      assert.equal(res.getFailuresList().length, 0);
      const inputs = js(res.getInputs());
      assert.equal(inputs.displayName, UNKNOWN);
      assert.deepEqual(inputs.billingContact, secret('b@acme.example'));
    });

    it('a preview create with unknowns never calls the API and returns unknown outputs', async () => {
      const before = { tenants: await cp.count('tenants'), events: await cp.count('governance_events') };
      const res = await op.call<any>('create', req.create(T(), tenantInputs(slug(), { displayName: UNKNOWN }), true));
      assert.equal(res.getId(), '');
      const out = js(res.getProperties());
      assert.equal(out.displayName, UNKNOWN);
      assert.equal(out.status, UNKNOWN);
      assert.equal(out.clientSecret, UNKNOWN);
      assert.equal(out.supportTier, 'standard', 'the catalog default is known at preview');
      assert.equal(out.region, 'eu-west-1');
      assert.equal(out.billingContact, 'billing@acme.example', 'the preview shows the value as the API will store it');
      const spaced = js((await op.call<any>('create', req.create(T(), tenantInputs(slug(), { displayName: secret('  Covert  ') }), true))).getProperties());
      assert.deepEqual(spaced.displayName, secret('Covert'), 'normalised, still secret');
      assert.deepEqual({ tenants: await cp.count('tenants'), events: await cp.count('governance_events') }, before);
    });

    it('create, empty diff, in-place update, replacement diff, refresh, deletion outside, delete', async () => {
      const s = slug();
      const inputs = tenantInputs(s, { supportTier: 'enterprise' });
      const created = await op.call<any>('create', req.create(T(), inputs));
      const id = created.getId();
      assert.match(id, /^tnt_/);
      const outs = js(created.getProperties());
      assert.equal(outs.displayName, 'Acme Corp', 'outputs are what the API stored');
      assert.equal(outs.billingContact, 'billing@acme.example');
      assert.equal(outs.status, 'onboarding');
      assert.equal(typeof outs.clientId, 'string');
      assert.ok(isSecret(outs.clientSecret), 'the shown-once client secret is a secret output');
      assert.match(String(outs.clientSecret.value), /.{16,}/);
      assert.ok(!('id' in outs), 'the id travels as the resource id, not a property');
      const row = await cp.db('tenants').where({ id }).first();
      assert.equal(row.slug, s);

      // The program's own (un-normalised) values against what the API stored: nothing to do.
      const same = await op.call<any>('diff', req.diff(T(), id, outs, inputs, inputs));
      assert.equal(same.getChanges(), DIFF.DIFF_NONE);
      assert.deepEqual(same.getReplacesList(), []);

      const renamed = { ...inputs, displayName: 'Acme Two', supportTier: undefined };
      delete (renamed as any).supportTier;
      const d1 = await op.call<any>('diff', req.diff(T(), id, outs, renamed, inputs));
      assert.equal(d1.getChanges(), DIFF.DIFF_SOME);
      assert.deepEqual(d1.getReplacesList(), []);
      assert.deepEqual(d1.getDiffsList().sort(), ['displayName', 'supportTier'], 'a removed optional value goes back to its default');
      assert.equal(d1.getDetaileddiffMap().get('displayName').getKind(), KIND.UPDATE);
      assert.ok(d1.getStablesList().includes('clientId'));

      const moved = await op.call<any>('diff', req.diff(T(), id, outs, { ...inputs, region: 'us-east-1', slug: s + 'x' }, inputs));
      assert.deepEqual(moved.getReplacesList().sort(), ['region', 'slug'], 'force-new attributes replace, as in Terraform');
      assert.equal(moved.getDeletebeforereplace(), true);
      assert.equal(moved.getDetaileddiffMap().get('region').getKind(), KIND.UPDATE_REPLACE);
      const unknownRegion = await op.call<any>('diff', req.diff(T(), id, outs, { ...inputs, region: UNKNOWN }, inputs));
      assert.deepEqual(unknownRegion.getReplacesList(), ['region']);

      // A preview update changes nothing.
      const eventsBefore = await cp.count('governance_events', { tenant_id: id });
      const preview = await op.call<any>('update', req.update(T(), id, outs, renamed, true, inputs));
      assert.equal(js(preview.getProperties()).displayName, 'Acme Two');
      assert.equal((await cp.db('tenants').where({ id }).first()).display_name, 'Acme Corp');
      assert.equal(await cp.count('governance_events', { tenant_id: id }), eventsBefore);

      const updated = await op.call<any>('update', req.update(T(), id, outs, renamed, false, inputs));
      const outs2 = js(updated.getProperties());
      assert.equal(outs2.displayName, 'Acme Two');
      assert.equal(outs2.supportTier, 'standard');
      assert.deepEqual(outs2.clientSecret, outs.clientSecret, 'the shown-once secret survives an update');
      const row2 = await cp.db('tenants').where({ id }).first();
      assert.equal(row2.display_name, 'Acme Two');
      assert.equal(await cp.count('governance_events', { tenant_id: id, type: 'tenant.config_changed' }), 1);
      const after = await op.call<any>('diff', req.diff(T(), id, outs2, renamed, renamed));
      assert.equal(after.getChanges(), DIFF.DIFF_NONE);

      // Refresh: same values, the secret kept, the program's inputs kept where only normalised.
      const read = await op.call<any>('read', req.read(T(), id, outs2, renamed));
      assert.equal(read.getId(), id);
      const props = js(read.getProperties());
      assert.equal(props.displayName, 'Acme Two');
      assert.deepEqual(props.clientSecret, outs.clientSecret);
      assert.equal(js(read.getInputs()).billingContact, 'Billing@ACME.example');

      // Import (`Tenant.get` / `pulumi import`): only the id; inputs rebuilt from the API.
      const imported = await op.call<any>('read', req.read(T(), id, {}));
      const importedInputs = js(imported.getInputs());
      assert.deepEqual(importedInputs, { slug: s, displayName: 'Acme Two', region: 'eu-west-1', deploymentMode: 'B', billingContact: 'billing@acme.example', supportTier: 'standard' });
      assert.equal(js(imported.getProperties()).clientSecret, undefined, 'never returned again');
      const importPlan = await op.call<any>('diff', req.diff(T(), id, js(imported.getProperties()), renamed, importedInputs));
      assert.equal(importPlan.getChanges(), DIFF.DIFF_NONE, 'the program, spaced and mixed-case, plans no change against the import');

      // Deleted outside Pulumi: Read answers with an empty id.
      const off = await cp.request('DELETE', `/api/v1/tenants/${id}`, { token: cp.operatorToken });
      assert.ok(off.status < 300, off.text);
      const gone = await op.call<any>('read', req.read(T(), id, outs2, renamed));
      assert.equal(gone.getId(), '');
      // Delete of an object already gone succeeds.
      await op.call('delete', req.delete(T(), id, outs2));
    });

    it('Configure also takes the older `claresia:config:*` variables map', async () => {
      const p = await launchPlugin();
      try {
        const r = new pb.ConfigureRequest();
        r.getVariablesMap().set('claresia:config:endpoint', cp.url);
        r.getVariablesMap().set('claresia:config:token', cp.operatorToken);
        await p.call('configure', r);
        const created = await p.call<any>('create', req.create(T('v'), tenantInputs(slug())));
        assert.match(created.getId(), /^tnt_/);
        await p.call('delete', req.delete(T('v'), created.getId(), js(created.getProperties())));
      } finally {
        await p.stop();
      }
    });

    it('Delete removes the tenant', async () => {
      const created = await op.call<any>('create', req.create(T('b'), tenantInputs(slug())));
      const id = created.getId();
      await op.call('delete', req.delete(T('b'), id, js(created.getProperties())));
      const res = await cp.request('GET', `/api/v1/tenants/${id}`, { token: cp.operatorToken });
      assert.equal(res.status, 404);
      assert.equal(await cp.count('governance_events', { tenant_id: id, type: 'tenant.offboarded' }), 1);
    });

    it('a secret input yields a secret output; API errors name the property and never a secret', async () => {
      const s = slug();
      const created = await op.call<any>('create', req.create(T('s'), tenantInputs(s, { displayName: secret('Covert Corp') })));
      const outs = js(created.getProperties());
      assert.deepEqual(outs.displayName, secret('Covert Corp'));
      const again = op.call('create', req.create(T('dup'), tenantInputs(s, { billingContact: secret('hidden-billing@x.example') })));
      await assert.rejects(again, (e: Error) => {
        assert.match(e.message, /Tenant: .*409.*property slug/);
        assert.doesNotMatch(e.message, /hidden-billing/);
        return true;
      });
      assert.doesNotMatch(op.stderr(), /hidden-billing|Covert Corp/);
      assert.doesNotMatch(op.stderr(), new RegExp(cp.operatorToken));
    });

    it('write-only values are compared with the inputs in state, never sent back as outputs', async () => {
      const U = urnOf('SsoConnection', 'okta');
      const olds = { name: 'Okta', protocol: 'oidc', discoveryUrl: 'https://idp.example/.well-known/openid-configuration', clientId: 'c1', status: 'pending' };
      const oldInputs = { name: 'Okta', protocol: 'oidc', discoveryUrl: olds.discoveryUrl, clientId: 'c1', clientSecret: secret('s1') };
      const same = await op.call<any>('diff', req.diff(U, 'sso_1', olds, oldInputs, oldInputs));
      assert.equal(same.getChanges(), DIFF.DIFF_NONE);
      const rotated = await op.call<any>('diff', req.diff(U, 'sso_1', olds, { ...oldInputs, clientSecret: secret('s2') }, oldInputs));
      assert.equal(rotated.getChanges(), DIFF.DIFF_SOME);
      assert.deepEqual(rotated.getDiffsList(), ['clientSecret']);
      assert.deepEqual(rotated.getReplacesList(), []);
    });
  });
}
