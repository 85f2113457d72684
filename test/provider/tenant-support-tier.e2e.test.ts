/**
 * claresia_tenant managed with the tenant's own credentials (client_id and client_secret): a
 * change of support_tier, which only the operator may make, fails at apply with the API's 403 as
 * a diagnostic on that attribute, and leaves the tenant and the state as they were; other changes
 * still apply.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

describe('claresia_tenant support_tier with tenant credentials', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let ws: Workspace;
  let id: string;
  const base = { slug: 'tier-e2e', display_name: 'Tier Inc', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'billing@tier-e2e.example', support_tier: 'premium' };
  const config = (attrs: Record<string, string>) =>
    `${providerBlock}\nresource "claresia_tenant" "me" {\n${Object.entries(attrs)
      .map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)
      .join('\n')}\n}\n`;
  const apiTenant = async () => (await cp.request('GET', `/api/v1/tenants/${id}`, { token: cp.operatorToken })).body;

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    const created = await cp.request('POST', '/api/v1/tenants', { token: cp.operatorToken, body: base });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: created.body.client_id, CLARESIA_CLIENT_SECRET: created.body.client_secret } });
    ws.write('main.tf', config(base) + `\nimport {\n  to = claresia_tenant.me\n  id = "${id}"\n}\n`);
    await ws.ok(['apply', '-auto-approve']);
    ws.write('main.tf', config(base));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('a support_tier change fails at apply, naming the attribute, and changes nothing', async () => {
    ws.write('main.tf', config({ ...base, display_name: 'Tier Incorporated', support_tier: 'enterprise' }));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /~ support_tier\s+= "premium" -> "enterprise"/);
    const apply = await ws.tf('apply', '-auto-approve');
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, /support_tier is set by the operator \(Claresia or your MSP\), not with the tenant's own credentials/);
    assert.match(apply.stderr, /403 forbidden/);
    // The diagnostic points at the configuration line of the attribute.
    assert.match(apply.stderr, /with claresia_tenant\.me,[\s\S]*support_tier\s+= "enterprise"/);
    const api = await apiTenant();
    assert.deepEqual([api.support_tier, api.display_name], ['premium', 'Tier Inc'], 'the whole change was refused');
    const state = ws.state().resources[0].instances[0].attributes;
    assert.deepEqual([state.support_tier, state.display_name], ['premium', 'Tier Inc']);
  });

  it('changes without support_tier still apply with tenant credentials', async () => {
    ws.write('main.tf', config({ ...base, display_name: 'Tier Incorporated' }));
    await ws.ok(['apply', '-auto-approve']);
    assert.equal((await apiTenant()).display_name, 'Tier Incorporated');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('once the operator has changed it, the configuration that asked for it plans no change', async () => {
    const patched = await cp.request('PATCH', `/api/v1/tenants/${id}`, { token: cp.operatorToken, body: { support_tier: 'enterprise' } });
    assert.equal(patched.status, 200, patched.text);
    ws.write('main.tf', config({ ...base, display_name: 'Tier Incorporated', support_tier: 'enterprise' }));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });
});
