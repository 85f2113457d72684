/**
 * Resources whose identity is not an `id` (a Cowork pack, an archetype), an update by PUT,
 * set-valued attributes the API stores sorted, and a SCIM directory whose bearer token is
 * shown once: all through the generic catalog path with the real terraform.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane, type TenantFixture } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

function config(o: { allowlist: string[]; salesSkills: string[]; blocked: string[] }) {
  return `${providerBlock}
resource "claresia_scim_directory" "okta" {
  idp          = "okta"
  ip_allowlist = ${JSON.stringify(o.allowlist)}
}

resource "claresia_cowork" "gtm" {
  pack           = "go-to-market"
  blocked_skills = ${JSON.stringify(o.blocked)}
}

resource "claresia_skill_entitlement" "sales" {
  archetype  = "sales"
  skills     = ${JSON.stringify(o.salesSkills)}
  depends_on = [claresia_cowork.gtm]
}
`;
}

describe('entitlements and SCIM directory with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let tenant: TenantFixture;
  let ws: Workspace;
  const attrs = (type: string) => ws.state().resources.find((r: any) => r.type === type).instances[0].attributes;
  const get = (path: string) => cp.request('GET', path, { token: tenant.token });

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    tenant = await cp.createTenant();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('creates them, keeps the shown-once SCIM token, and re-plans empty although the API sorts the sets', async () => {
    ws.write(
      'main.tf',
      config({
        // Loopback last: the test calls the SCIM endpoint from it; the API sorts the set.
        allowlist: ['203.0.113.0/24', '198.51.100.0/24', '127.0.0.1/32'],
        salesSkills: ['claresia.core.email-drafting', 'claresia.gatespic.pipeline-hygiene'],
        blocked: ['claresia.exec.web-research'],
      }),
    );
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const dir = attrs('claresia_scim_directory');
    assert.match(dir.bearer_token, /\S{20,}/);
    const scim = await cp.request('GET', `/scim/v2/${dir.id}/ServiceProviderConfig`, { headers: { Authorization: `Bearer ${dir.bearer_token}` } });
    assert.equal(scim.status, 200, 'the token kept in state is the one the SCIM endpoint accepts');
    const api = await get(`/api/v1/identity/scim/directories/${dir.id}`);
    assert.deepEqual(api.body.ip_allowlist, ['127.0.0.1/32', '198.51.100.0/24', '203.0.113.0/24']);
    const cowork = await get('/api/v1/skill-entitlement/coworks/go-to-market');
    assert.deepEqual(cowork.body.blocked_skills, ['claresia.exec.web-research']);
    assert.equal(attrs('claresia_cowork').pack, 'go-to-market');
  });

  it('writes the shown-once SCIM token into no provider log line, even at trace level', async () => {
    const logFile = path.join(ws.dir, 'trace.log');
    Object.assign(ws.env, { TF_LOG: 'trace', TF_LOG_PATH: logFile });
    try {
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      delete ws.env.TF_LOG;
      delete ws.env.TF_LOG_PATH;
    }
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('provider.terraform-provider-claresia'));
    assert.ok(lines.some((l) => /\[TRACE\] provider\.terraform-provider-claresia: rpc: /.test(l)), 'the provider logged at trace level');
    for (const secret of [attrs('claresia_scim_directory').bearer_token, tenant.clientSecret]) assert.equal(lines.filter((l) => l.includes(secret)).length, 0);
  });

  // The configuration after the first update: a new allowlist and sales set, and the pack's blocked skills as given.
  const updated = (blocked: string[]) =>
    config({ allowlist: ['198.51.100.0/24'], salesSkills: ['claresia.gatespic.call-recap', 'claresia.core.email-drafting', 'claresia.gatespic.pipeline-hygiene'], blocked });

  it('updates by PATCH and by PUT in place', async () => {
    ws.write('main.tf', updated(['claresia.exec.web-research']));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /0 to add, 2 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const ent = await get('/api/v1/skill-entitlement/archetypes/sales');
    assert.deepEqual([...ent.body.skills].sort(), ['claresia.core.email-drafting', 'claresia.gatespic.call-recap', 'claresia.gatespic.pipeline-hygiene']);
    const dir = await get(`/api/v1/identity/scim/directories/${attrs('claresia_scim_directory').id}`);
    assert.deepEqual(dir.body.ip_allowlist, ['198.51.100.0/24']);
    assert.match(attrs('claresia_scim_directory').bearer_token, /\S{20,}/, 'the shown-once token survives updates and refreshes');
  });

  it('records what an update changes besides its inputs (applied_at, source), so a refresh right after finds nothing', async () => {
    // The sales set handed back to the pack through the API: its source is the pack's now, and
    // the API still answers for the archetype, but no managed set is left: plan creates one.
    assert.equal((await cp.request('DELETE', '/api/v1/skill-entitlement/archetypes/sales', { token: tenant.token })).status, 204);
    assert.equal((await get('/api/v1/skill-entitlement/archetypes/sales')).body.source, 'go-to-market');
    ws.write('main.tf', updated([]));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /~ applied_at\s+= "[^"]+" -> \(known after apply\)/);
    assert.match(plan.stdout, /# claresia_skill_entitlement\.sales will be created/);
    assert.match(plan.stdout, /1 to add, 1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    const refresh = await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.doesNotMatch(refresh.stdout, /Objects have changed outside of Terraform/);
    assert.equal(attrs('claresia_cowork').applied_at, (await get('/api/v1/skill-entitlement/coworks/go-to-market')).body.applied_at);
    assert.equal(attrs('claresia_skill_entitlement').source, 'manual');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    ws.write('main.tf', updated(['claresia.exec.web-research']));
    await ws.ok(['apply', '-auto-approve']);
  });

  it('imports a Cowork pack by its name', async () => {
    const other = workspace({ env: ws.env });
    try {
      other.write('main.tf', `${providerBlock}\nimport {\n  to = claresia_cowork.gtm\n  id = "go-to-market"\n}\nresource "claresia_cowork" "gtm" {\n  pack           = "go-to-market"\n  blocked_skills = ["claresia.exec.web-research"]\n}\n`);
      const plan = await other.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
    } finally {
      other.close();
    }
  });

  it('imports a SCIM directory whose empty allowlist the configuration leaves out, with nothing to change', async () => {
    const made = await cp.request('POST', '/api/v1/identity/scim/configure', { token: tenant.token, body: { idp: 'entra' } });
    assert.equal(made.status, 201, made.text);
    const other = workspace({ env: ws.env });
    try {
      other.write('main.tf', `${providerBlock}\nimport {\n  to = claresia_scim_directory.entra\n  id = "${made.body.id}"\n}\nresource "claresia_scim_directory" "entra" {\n  idp = "entra"\n}\n`);
      const plan = await other.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
      await other.ok(['apply', '-auto-approve']);
      await other.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      other.close();
    }
    assert.equal((await cp.request('DELETE', `/api/v1/identity/scim/directories/${made.body.id}`, { token: tenant.token })).status, 204);
  });

  it('points an API refusal of one element of a set at that attribute, and records nothing', async () => {
    const other = workspace({ env: ws.env });
    try {
      other.write('main.tf', `${providerBlock}\nresource "claresia_skill_entitlement" "ops" {\n  archetype = "ops"\n  skills    = ["claresia.core.email-drafting", "claresia.nope.nothing"]\n}\n`);
      const r = await other.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      // The API names the set and the skill (no index: a set is sent sorted); Terraform shows the line of skills.
      assert.match(r.stderr, /Creating claresia_skill_entitlement[\s\S]*on main\.tf line \d+, in resource "claresia_skill_entitlement" "ops":\s*\n\s*\d+:\s+skills\s+= \[/);
      assert.equal(other.state()?.resources?.length ?? 0, 0);
    } finally {
      other.close();
    }
  });

  it('replaces when the identity attribute changes and destroys cleanly', async () => {
    ws.write(
      'main.tf',
      config({ allowlist: ['198.51.100.0/24'], salesSkills: ['claresia.core.email-drafting'], blocked: ['claresia.exec.web-research'] }).replace('archetype  = "sales"', 'archetype  = "marketing"'),
    );
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_skill_entitlement\.sales must be replaced/);
    assert.match(plan.stdout, /archetype\s+= "sales" -> "marketing" # forces replacement/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(attrs('claresia_skill_entitlement').archetype, 'marketing');
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal(ws.state().resources.length, 0);
    const dirs = await get('/api/v1/identity/scim/directories');
    assert.deepEqual(dirs.body.items, []);
  });
});
