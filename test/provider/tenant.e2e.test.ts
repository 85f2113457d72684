/**
 * claresia_tenant end to end: the real terraform binary, the real provider (bundled), a real
 * control plane on loopback with a fresh database.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

function tenantConfig(attrs: Record<string, string>, name = 'acme'): string {
  const body = Object.entries(attrs)
    .map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)
    .join('\n');
  return `${providerBlock}\nresource "claresia_tenant" "${name}" {\n${body}\n}\n\noutput "client_id" { value = claresia_tenant.${name}.client_id }\n`;
}

describe('claresia_tenant with terraform', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let ws: Workspace;
  const base = {
    slug: 'acme-e2e',
    display_name: 'Acme Corp',
    region: 'eu-west-1',
    deployment_mode: 'B',
    // Mixed case: the API stores it lowercased; the plan after apply must still be empty.
    billing_contact: 'Billing@Acme.example',
  };

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  const tenantId = () => ws.state().resources.find((r: any) => r.type === 'claresia_tenant').instances[0].attributes.id as string;

  it('plans computed values as unknown, applies, and a second plan is empty', async () => {
    ws.write('main.tf', tenantConfig(base));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_tenant\.acme will be created/);
    assert.match(plan.stdout, /id\s+= \(known after apply\)/);
    assert.match(plan.stdout, /support_tier\s+= "standard"/);
    await ws.ok(['apply', '-auto-approve']);
    const attrs = ws.state().resources[0].instances[0].attributes;
    assert.match(attrs.id, /^tnt_/);
    assert.equal(attrs.billing_contact, 'Billing@Acme.example');
    assert.equal(ws.state().resources[0].instances[0].schema_version, 1);
    const api = await cp.request('GET', `/api/v1/tenants/${attrs.id}`, { token: cp.operatorToken });
    assert.equal(api.status, 200);
    assert.equal(api.body.billing_contact, 'billing@acme.example');
    assert.equal(api.body.support_tier, 'standard');
    assert.equal(attrs.client_id, api.body.client_id);
    assert.match(attrs.client_secret, /\S{16,}/, 'the once-returned client secret is kept in state (sensitive)');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('keeps the sensitive client secret out of plan output and marks it sensitive in show -json', async () => {
    const shown = await ws.ok(['show', '-json']);
    const res = JSON.parse(shown.stdout).values.root_module.resources[0];
    assert.equal(res.sensitive_values.client_secret, true);
    const plan = await ws.ok(['plan', '-refresh-only']);
    assert.doesNotMatch(plan.stdout, new RegExp(ws.state().resources[0].instances[0].attributes.client_secret));
  });

  it('updates in place when a mutable attribute changes', async () => {
    const before = tenantId();
    ws.write('main.tf', tenantConfig({ ...base, display_name: 'Acme Corporation', support_tier: 'enterprise' }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_tenant\.acme will be updated in-place/);
    assert.match(plan.stdout, /1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(tenantId(), before);
    const api = await cp.request('GET', `/api/v1/tenants/${before}`, { token: cp.operatorToken });
    assert.equal(api.body.display_name, 'Acme Corporation');
    assert.equal(api.body.support_tier, 'enterprise');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('sees drift made through the API and puts it back', async () => {
    const id = tenantId();
    const patched = await cp.request('PATCH', `/api/v1/tenants/${id}`, { token: cp.operatorToken, body: { display_name: 'Changed Behind Terraform' } });
    assert.equal(patched.status, 200);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /~ display_name\s+= "Changed Behind Terraform" -> "Acme Corporation"/);
    await ws.ok(['apply', '-auto-approve']);
    const api = await cp.request('GET', `/api/v1/tenants/${id}`, { token: cp.operatorToken });
    assert.equal(api.body.display_name, 'Acme Corporation');
  });

  it('replaces the tenant when a force-new attribute changes', async () => {
    const before = tenantId();
    ws.write('main.tf', tenantConfig({ ...base, display_name: 'Acme Corporation', support_tier: 'enterprise', region: 'eu-central-1' }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_tenant\.acme must be replaced/);
    assert.match(plan.stdout, /region\s+= "eu-west-1" -> "eu-central-1" # forces replacement/);
    // The slug stays the same, so the old tenant must go first (the default order).
    await ws.ok(['apply', '-auto-approve']);
    const after = tenantId();
    assert.notEqual(after, before);
    assert.equal((await cp.request('GET', `/api/v1/tenants/${before}`, { token: cp.operatorToken })).status, 404);
    const api = await cp.request('GET', `/api/v1/tenants/${after}`, { token: cp.operatorToken });
    assert.equal(api.body.region, 'eu-central-1');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('drops a tenant deleted outside Terraform from state and plans to create it again', async () => {
    const id = tenantId();
    assert.equal((await cp.request('DELETE', `/api/v1/tenants/${id}`, { token: cp.operatorToken })).status, 204);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_tenant\.acme will be created/);
    assert.match(plan.stdout, /1 to add, 0 to change, 0 to destroy/);
    await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal(ws.state().resources.length, 0, 'refresh removed it from state without error');
    await ws.ok(['apply', '-auto-approve']);
    assert.notEqual(tenantId(), id);
  });

  it('destroys', async () => {
    const id = tenantId();
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal((await cp.request('GET', `/api/v1/tenants/${id}`, { token: cp.operatorToken })).status, 404);
    assert.equal(ws.state().resources.length, 0);
  });

  it('fails validation with the attribute path and changes nothing', async () => {
    const bad = workspace({ env: ws.env });
    try {
      bad.write('main.tf', tenantConfig({ ...base, slug: 'bad-region', region: 'mars-1', billing_contact: 'not-an-email', display_name: '   ' }));
      const r = await bad.tf('plan');
      assert.notEqual(r.code, 0);
      // Spaces alone are an empty name once trimmed, as the API stores it.
      assert.match(r.stderr, /Invalid value for display_name[\s\S]*display_name = "   "[\s\S]*must not be empty or only spaces/);
      assert.match(r.stderr, /Invalid value for region[\s\S]*on main.tf line \d+, in resource "claresia_tenant" "acme":\s*\n\s*\d+:\s+region = "mars-1"/);
      assert.match(r.stderr, /Invalid value for billing_contact[\s\S]*billing_contact = "not-an-email"[\s\S]*must be an email address/);
      assert.equal(await cp.count('tenants', { slug: 'bad-region' }), 0);
    } finally {
      bad.close();
    }
  });
});

describe('claresia_tenant API errors', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
  });
  after(async () => cp?.close());

  it('points an API rejection at the attribute it names and records nothing', async () => {
    const taken = await cp.createTenant();
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write('main.tf', tenantConfig({ slug: taken.slug, display_name: 'Dup', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@dup.example' }, 'dup'));
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`Creating claresia_tenant: slug "${taken.slug}" is already taken[\\s\\S]*\\d+:\\s+slug = "${taken.slug}"`));
      assert.match(r.stderr, /409 conflict/);
      assert.equal(ws.state()?.resources?.length ?? 0, 0);
    } finally {
      ws.close();
    }
  });

  it('fails clearly with a rejected token, without echoing it', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: 'op_wrong_token_value_123' } });
    try {
      ws.write('main.tf', tenantConfig({ slug: 'nope', display_name: 'N', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@n.example' }));
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /401/);
      assert.doesNotMatch(r.stderr + r.stdout, /op_wrong_token_value_123/);
    } finally {
      ws.close();
    }
  });
});

describe('claresia_tenant import', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
  });
  after(async () => cp?.close());

  async function apiTenant(slug: string) {
    const res = await cp.request('POST', '/api/v1/tenants', {
      token: cp.operatorToken,
      body: { slug, display_name: 'Imported Inc', region: 'us-east-1', deployment_mode: 'A', billing_contact: `billing@${slug}.example`, support_tier: 'premium' },
    });
    assert.equal(res.status, 201);
    return res.body;
  }

  const config = (slug: string) => ({ slug, display_name: 'Imported Inc', region: 'us-east-1', deployment_mode: 'A', billing_contact: `billing@${slug}.example`, support_tier: 'premium' });

  it('imports with an import block, then plans no change', async () => {
    const t = await apiTenant('imported-block');
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write('main.tf', tenantConfig(config('imported-block'), 'imp') + `\nimport {\n  to = claresia_tenant.imp\n  id = "${t.id}"\n}\n`);
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
      await ws.ok(['apply', '-auto-approve']);
      const attrs = ws.state().resources[0].instances[0].attributes;
      assert.equal(attrs.id, t.id);
      assert.equal(attrs.client_id, t.client_id);
      assert.equal(attrs.client_secret, null, 'an imported tenant has no client secret: it was shown once, at creation');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      ws.close();
    }
  });

  it('imports a tenant whose configuration writes values in a form the API normalises, and plans no change', async () => {
    const t = await apiTenant('imported-norm');
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      // The API stores 'Imported Inc' and 'billing@imported-norm.example'; the user wrote them otherwise.
      const odd = { ...config('imported-norm'), display_name: '  Imported Inc ', billing_contact: 'Billing@Imported-Norm.EXAMPLE' };
      ws.write('main.tf', tenantConfig(odd, 'imp') + `\nimport {\n  to = claresia_tenant.imp\n  id = "${t.id}"\n}\n`);
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      // A real change is still one.
      ws.write('main.tf', tenantConfig({ ...odd, display_name: 'Imported Inc.' }, 'imp'));
      const change = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(change.stdout, /~ display_name\s+= "Imported Inc" -> "Imported Inc\."/);
    } finally {
      ws.close();
    }
  });

  it('generates configuration for an import block and then plans no change', async () => {
    const t = await apiTenant('imported-gen');
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write('main.tf', `${providerBlock}\nimport {\n  to = claresia_tenant.gen\n  id = "${t.id}"\n}\n`);
      await ws.ok(['plan', '-generate-config-out=generated.tf'], 0);
      const generated = readFileSync(path.join(ws.dir, 'generated.tf'), 'utf8');
      assert.match(generated, /slug\s+= "imported-gen"/);
      assert.match(generated, /support_tier\s+= "premium"/);
      assert.doesNotMatch(generated, /client_id|created_at|status/, 'read-only attributes are not configuration');
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      ws.close();
    }
  });

  it('imports with terraform import and rejects a malformed or unknown id', async () => {
    const t = await apiTenant('imported-cli');
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write('main.tf', tenantConfig(config('imported-cli'), 'imp'));
      const missing = await ws.tf('import', 'claresia_tenant.imp', 'tnt_00000000deadbeef');
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /Cannot import non-existent remote object/);
      const malformed = await ws.tf('import', 'claresia_tenant.imp', 'a/b');
      assert.notEqual(malformed.code, 0);
      // Terraform wraps the detail to the terminal's width.
      const flat = (s: string) => s.replace(/\s+/g, ' ');
      assert.match(flat(malformed.stderr), /Invalid import ID "a\/b" is not an import ID of this resource: expected the tenant's id \(tnt_\.\.\.\), not its slug, for example tnt_/);
      // The slug is what people try first: named as not the id, before any lookup.
      const slug = await ws.tf('import', 'claresia_tenant.imp', 'imported-cli');
      assert.notEqual(slug.code, 0);
      assert.match(flat(slug.stderr), /Invalid import ID "imported-cli" is not the tenant's id \(tnt_\.\.\.\), not its slug/);
      assert.doesNotMatch(slug.stderr, /non-existent/);
      await ws.ok(['import', 'claresia_tenant.imp', t.id]);
      assert.equal(ws.state().resources[0].instances[0].attributes.slug, 'imported-cli');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    } finally {
      ws.close();
    }
  });
});
