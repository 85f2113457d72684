/**
 * A refresh of many resources is a few list requests, not one GET per resource: counted on the
 * control plane's own request metrics while the real terraform plans.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

async function tenantGets(cp: TestControlPlane): Promise<{ list: number; byId: number }> {
  const text = await cp.metrics();
  const out = { list: 0, byId: 0 };
  for (const m of text.matchAll(/^claresia_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.method !== 'GET') continue;
    if (labels.route === '/api/v1/tenants') out.list += Number(m[2]);
    else if (/^\/api\/v1\/tenants\/[:{]id\}?$/.test(labels.route ?? '')) out.byId += Number(m[2]);
  }
  return out;
}

describe('refresh with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
  });
  after(async () => cp?.close());

  it('refreshes 30 tenants with one or two list requests and no GET by id; a deleted one is confirmed and dropped', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write(
        'main.tf',
        `${providerBlock}resource "claresia_tenant" "t" {\n  count           = 30\n  slug            = "refresh-\${count.index}"\n  display_name    = "Refresh \${count.index}"\n  region          = "eu-west-1"\n  deployment_mode = "A"\n  billing_contact = "billing@refresh-\${count.index}.example"\n}\n`,
      );
      await ws.ok(['apply', '-auto-approve']);
      const before = await tenantGets(cp);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      const after = await tenantGets(cp);
      assert.ok(after.list - before.list <= 2, `list requests: ${after.list - before.list}`);
      assert.equal(after.byId - before.byId, 0);

      const gone = ws.state().resources[0].instances[7].attributes.id;
      assert.equal((await cp.request('DELETE', `/api/v1/tenants/${gone}`, { token: cp.operatorToken })).status, 204);
      const b2 = await tenantGets(cp);
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /claresia_tenant\.t\[7\] will be created/);
      assert.match(plan.stdout, /1 to add, 0 to change, 0 to destroy/);
      const a2 = await tenantGets(cp);
      assert.equal(a2.byId - b2.byId, 1, 'only the missing one is confirmed by id');
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
  });
});
