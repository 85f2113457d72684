/**
 * The one generic implementation on resources other than the tenant, through the plugin with
 * a tenant token: a SCIM directory (shown-once bearer token, optional-computed set), skill
 * entitlements (id carried by `archetype`, PUT updates, a normalised set) and Cowork packs,
 * each with an empty diff right after create; and a refresh of many objects shares list requests.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { selfSigned } from '../support/platforms/certs.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isSecret, js, launchPlugin, pb, req, secret, struct, urnOf, type Plugin } from './support/engine.js';

const NONE = pb.DiffResponse.DiffChanges.DIFF_NONE;

/** GET requests the control plane answered on routes matching `route`, from its /metrics. */
async function getCount(cp: TestControlPlane, route: RegExp): Promise<{ list: number; byId: number }> {
  const text = await cp.metrics();
  let list = 0;
  let byId = 0;
  for (const m of text.matchAll(/^claresia_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.method !== 'GET' || !route.test(labels.route ?? '')) continue;
    if (/[:{]id\}?$/.test(labels.route!)) byId += Number(m[2]);
    else list += Number(m[2]);
  }
  return { list, byId };
}

for (const kind of dbKinds()) {
  describe(`pulumi provider, tenant resources [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let p: Plugin;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant({ deployment_mode: 'A' });
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    it('ScimDirectory: the bearer token is a secret output, kept from creation through refresh and update', async () => {
      const U = urnOf('ScimDirectory', 'okta');
      const inputs = { idp: 'okta' };
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.ok(isSecret(outs.bearerToken), 'bearer token is secret');
      assert.match(String(outs.bearerToken.value), /.{20,}/);
      assert.match(outs.endpointUrl, new RegExp(`/scim/v2/${id}$`));
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, inputs, inputs))).getChanges(), NONE);

      const read = js((await p.call<any>('read', req.read(U, id, outs, inputs))).getProperties());
      assert.deepEqual(read.bearerToken, outs.bearerToken, 'the API never returns it again; state keeps it');

      const replace = await p.call<any>('diff', req.diff(U, id, outs, { idp: 'entra' }, inputs));
      assert.deepEqual(replace.getReplacesList(), ['idp']);

      const news = { idp: 'okta', ipAllowlist: ['10.0.0.0/8', '192.168.0.0/16'] };
      const change = await p.call<any>('diff', req.diff(U, id, outs, news, inputs));
      assert.deepEqual(change.getDiffsList(), ['ipAllowlist']);
      assert.deepEqual(change.getReplacesList(), []);
      const updated = js((await p.call<any>('update', req.update(U, id, outs, news, false, inputs))).getProperties());
      assert.deepEqual([...updated.ipAllowlist].sort(), ['10.0.0.0/8', '192.168.0.0/16']);
      assert.deepEqual(updated.bearerToken, outs.bearerToken);
      assert.equal((await p.call<any>('diff', req.diff(U, id, updated, news, news))).getChanges(), NONE);
      await p.call('delete', req.delete(U, id, updated));
      assert.equal((await cp.request('GET', `/api/v1/identity/scim/directories/${id}`, { token: t.token })).status, 404);
    });

    it('SkillEntitlement: the archetype is the id, a set in any order diffs empty, PUT replaces the skill set', async () => {
      const U = urnOf('SkillEntitlement', 'sales');
      const dup = await p.call<any>('check', req.check(U, { archetype: 'sales', skills: ['claresia.gatespic.deal-desk', 'claresia.gatespic.deal-desk'] }));
      assert.deepEqual(dup.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]), [['skills', 'skills[1] duplicates skills[0]; list each value once']]);
      const inputs = { archetype: 'sales', skills: ['claresia.gatespic.deal-desk', 'claresia.core.meeting-notes'] };
      const check = await p.call<any>('check', req.check(U, { archetype: 'wizard', skills: 'claresia.core.meeting-notes' }));
      assert.deepEqual(check.getFailuresList().map((f: any) => f.getProperty()), ['archetype', 'skills']);
      assert.match(check.getFailuresList()[1].getReason(), /^skills must be a list$/);
      const created = await p.call<any>('create', req.create(U, inputs));
      assert.equal(created.getId(), 'sales');
      const outs = js(created.getProperties());
      assert.deepEqual(outs.skills, ['claresia.core.meeting-notes', 'claresia.gatespic.deal-desk']);
      assert.equal((await p.call<any>('diff', req.diff(U, 'sales', outs, inputs, inputs))).getChanges(), NONE, 'the order is normalised away');

      const news = { archetype: 'sales', skills: ['claresia.gatespic.call-recap'] };
      const updated = js((await p.call<any>('update', req.update(U, 'sales', outs, news, false, inputs))).getProperties());
      assert.deepEqual(updated.skills, ['claresia.gatespic.call-recap']);
      const api = await cp.request('GET', '/api/v1/skill-entitlement/archetypes/sales', { token: t.token });
      assert.deepEqual(api.body.skills, ['claresia.gatespic.call-recap']);
      const moved = await p.call<any>('diff', req.diff(U, 'sales', updated, { ...news, archetype: 'support' }, news));
      assert.deepEqual(moved.getReplacesList(), ['archetype']);
      await p.call('delete', req.delete(U, 'sales', updated));
      const gone = await p.call<any>('read', req.read(U, 'sales', updated, news));
      assert.equal(gone.getId(), '');
    });

    it('SkillEntitlement: a set deleted outside Pulumi reads as gone though the packs still give the archetype skills', async () => {
      const applied = await cp.request('POST', '/api/v1/skill-entitlement/coworks', { token: t.token, body: { pack: 'back-office' } });
      assert.equal(applied.status, 201, applied.text);
      const U = urnOf('SkillEntitlement', 'legal');
      const inputs = { archetype: 'legal', skills: ['claresia.core.meeting-notes'] };
      const outs = js((await p.call<any>('create', req.create(U, inputs))).getProperties());
      assert.equal(outs.source, 'manual');
      assert.equal((await p.call<any>('read', req.read(U, 'legal', outs, inputs))).getId(), 'legal');
      assert.equal((await cp.request('DELETE', '/api/v1/skill-entitlement/archetypes/legal', { token: t.token })).status, 204);
      const packs = await cp.request('GET', '/api/v1/skill-entitlement/archetypes/legal', { token: t.token });
      assert.equal(packs.body.source, 'back-office', 'the API still answers, with the packs\' set');
      assert.equal((await p.call<any>('read', req.read(U, 'legal', outs, inputs))).getId(), '', 'refresh: gone, so the next up creates it');
      assert.equal((await p.call<any>('read', req.read(U, 'legal', {}, {}))).getId(), '', 'import: nothing managed to adopt');
    });

    it('LlmConnector: the write-only credential goes in as a secret, never comes out, and a new one is sent on update', async () => {
      const U = urnOf('LlmConnector', 'claude');
      const first = `sk-ant-${Math.random().toString(36).slice(2)}-first`;
      const second = `sk-ant-${Math.random().toString(36).slice(2)}-second`;
      const inputs = { platform: 'claude', name: 'Claude for Acme', credential: secret(first) };
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.ok(!('credential' in outs), 'not an output');
      assert.equal(outs.status, 'untested');
      const sealed = async () => {
        const row = await cp.db('llm_connectors').where({ id }).first();
        return cp.server.ctx.keys.decryptForTenant(cp.db, t.id, row.credential_enc, `llm_connector:${id}:credential`);
      };
      assert.equal(await sealed(), first);
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, inputs, inputs))).getChanges(), NONE);

      const read = await p.call<any>('read', req.read(U, id, outs, inputs));
      assert.deepEqual(js(read.getInputs()).credential, secret(first), 'refresh keeps the configured credential, still secret');
      assert.ok(!('credential' in js(read.getProperties())));

      const news = { ...inputs, credential: secret(second) };
      const d = await p.call<any>('diff', req.diff(U, id, outs, news, inputs));
      assert.deepEqual(d.getDiffsList(), ['credential']);
      assert.deepEqual(d.getReplacesList(), []);
      const updated = js((await p.call<any>('update', req.update(U, id, outs, news, false, inputs))).getProperties());
      assert.ok(!('credential' in updated));
      assert.equal(await sealed(), second, 'the new credential was sent and sealed');
      assert.doesNotMatch(p.stderr(), new RegExp(`${first}|${second}`));
      await p.call('delete', req.delete(U, id, updated));
    });

    it('LlmConnector: a base_url removed from the program goes back to the platform default', async () => {
      const U = urnOf('LlmConnector', 'gateway');
      const gateway = 'https://gateway.acme.example/anthropic';
      const inputs = { platform: 'claude', name: 'Claude via gateway', credential: secret('sk-ant-gateway-0001'), baseUrl: gateway };
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.equal(outs.baseUrl, gateway);
      const news = { platform: 'claude', name: 'Claude via gateway', credential: secret('sk-ant-gateway-0001') };
      const d = await p.call<any>('diff', req.diff(U, id, outs, news, inputs));
      assert.deepEqual(d.getDiffsList(), ['baseUrl']);
      const preview = js((await p.call<any>('update', req.update(U, id, outs, news, true, inputs))).getProperties());
      assert.equal(preview.baseUrl, 'https://api.anthropic.com', 'the preview shows the default it goes back to');
      const updated = js((await p.call<any>('update', req.update(U, id, outs, news, false, inputs))).getProperties());
      assert.equal(updated.baseUrl, 'https://api.anthropic.com');
      assert.equal((await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token })).body.base_url, 'https://api.anthropic.com');
      assert.equal((await p.call<any>('diff', req.diff(U, id, updated, news, news))).getChanges(), NONE);
      await p.call('delete', req.delete(U, id, updated));
    });

    it('SsoConnection (SAML, IdP URL and certificate): empty diff after create, in-place rename, replacement on protocol', async () => {
      const U = urnOf('SsoConnection', 'saml');
      const cert = await selfSigned('Acme IdP signing', { ca: false });
      const inputs = { name: '  Okta SAML ', protocol: 'saml', idpSsoUrl: 'https://acme.okta.example/app/sso/saml', idpCertificate: `\n${cert.pem}\n`, idpEntityId: 'http://www.okta.com/exk1' };
      const check = await p.call<any>('check', req.check(U, inputs));
      assert.deepEqual(check.getFailuresList().map((f: any) => f.getReason()), []);
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.match(outs.acsUrl, /^https?:\/\//);
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, inputs, inputs))).getChanges(), NONE, 'normalised values and API-chosen ones do not diff');
      const renamed = { ...inputs, name: 'Okta' };
      const d = await p.call<any>('diff', req.diff(U, id, outs, renamed, inputs));
      assert.deepEqual(d.getDiffsList(), ['name']);
      const updated = js((await p.call<any>('update', req.update(U, id, outs, renamed, false, inputs))).getProperties());
      assert.equal(updated.name, 'Okta');
      const replace = await p.call<any>('diff', req.diff(U, id, updated, { ...renamed, protocol: 'oidc' }, renamed));
      assert.deepEqual(replace.getReplacesList(), ['protocol']);
      await p.call('delete', req.delete(U, id, updated));
      assert.equal((await cp.request('GET', `/api/v1/identity/sso/connections/${id}`, { token: t.token })).status, 404);
    });

    it('Cowork: a pack applied by name, read back and removed', async () => {
      const U = urnOf('Cowork', 'gtm');
      const inputs = { pack: 'go-to-market' };
      const created = await p.call<any>('create', req.create(U, inputs));
      assert.equal(created.getId(), 'go-to-market');
      const outs = js(created.getProperties());
      assert.equal((await p.call<any>('diff', req.diff(U, 'go-to-market', outs, inputs, inputs))).getChanges(), NONE);
      const read = await p.call<any>('read', req.read(U, 'go-to-market', {}));
      assert.equal(js(read.getInputs()).pack, 'go-to-market', 'import rebuilds the inputs');
      await p.call('delete', req.delete(U, 'go-to-market', outs));
      assert.equal((await cp.request('GET', '/api/v1/skill-entitlement/coworks/go-to-market', { token: t.token })).status, 404);
    });

    it('functions: the catalog data sources answer over Invoke, in camelCase', async () => {
      const invoke = (tok: string, args: Record<string, unknown> = {}) => {
        const r = new pb.InvokeRequest();
        r.setTok(tok);
        r.setArgs(struct(args));
        return p.call<any>('invoke', r);
      };
      const health = js((await invoke('claresia:index:getTenantHealth')).getReturn());
      assert.match(health.overall, /^(green|red)$/);
      assert.equal(health.checks.length, 7);
      assert.deepEqual(Object.keys(health.checks[0]).sort().filter((k) => k !== 'action'), ['name', 'reason', 'status']);
      assert.equal(typeof health.onboarding.completed, 'number');
      assert.ok(health.onboarding.steps.every((st: any) => typeof st.done === 'boolean'));
      assert.match(health.checkedAt, /^\d{4}-/);
      const catalog = js((await invoke('claresia:index:getSkillCatalog')).getReturn());
      assert.ok(catalog.skills.some((sk: any) => sk.id === 'claresia.gatespic.deal-desk'));
      assert.ok(catalog.packs.some((pk: any) => pk.name === 'go-to-market' && Array.isArray(pk.grants.sales)));
      await assert.rejects(invoke('claresia:index:getNothing'), /unknown function claresia:index:getNothing/);
    });

    it('a refresh of many objects costs a list request or two, not one GET each', async () => {
      const U = (a: string) => urnOf('SkillEntitlement', a);
      const archetypes = ['eng', 'data', 'product', 'design', 'marketing', 'support', 'finance', 'legal', 'hr', 'ops'];
      const states = new Map<string, Record<string, unknown>>();
      for (const a of archetypes) {
        const c = await p.call<any>('create', req.create(U(a), { archetype: a, skills: ['claresia.core.meeting-notes'] }));
        states.set(a, js(c.getProperties()));
      }
      const before = await getCount(cp, /skill-entitlement\/archetypes/);
      const reads = await Promise.all(archetypes.map((a) => p.call<any>('read', req.read(U(a), a, states.get(a)!, { archetype: a }))));
      assert.deepEqual(reads.map((r) => r.getId()), archetypes);
      const after = await getCount(cp, /skill-entitlement\/archetypes/);
      assert.equal(after.byId - before.byId, 0, 'no GET by id');
      const lists = after.list - before.list;
      assert.ok(lists >= 1 && lists <= 2, `${lists} list requests for ${archetypes.length} reads`);
    });
  });
}
