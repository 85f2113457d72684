/**
 * Refused provider credentials with the real terraform (review r5 F4): one error, on the
 * provider block, not one per resource at a resource's attribute of the same name.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

const resources = `resource "claresia_group_mapping" "a" {
  group = "claresia-cred-a"
  role  = "member"
}
resource "claresia_group_mapping" "b" {
  group = "claresia-cred-b"
  role  = "member"
}
`;

describe('refused provider credentials with terraform', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    t = await cp.createTenant();
  });
  after(async () => cp?.close());

  it('a wrong client_secret in the provider block is one error at its line', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url } });
    try {
      ws.write('main.tf', `${providerBlock}provider "claresia" {\n  client_id     = "${t.clientId}"\n  client_secret = "cs_wrong_value"\n}\n${resources}`);
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.match(/Provider credentials rejected/g)?.length, 1, r.stderr);
      assert.match(r.stderr, /Provider credentials rejected[\s\S]*client_secret = "cs_wrong_value"/);
      assert.doesNotMatch(r.stderr, /with claresia_group_mapping/);
    } finally {
      ws.close();
    }
  });

  it('a wrong CLARESIA_CLIENT_SECRET is one error naming the variable', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: 'cs_wrong_value' } });
    try {
      ws.write('main.tf', `${providerBlock}${resources}`);
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.match(/Provider credentials rejected/g)?.length, 1, r.stderr);
      assert.match(r.stderr, /CLARESIA_CLIENT_SECRET/);
      assert.doesNotMatch(r.stderr, /cs_wrong_value/);
      assert.doesNotMatch(r.stderr, /with claresia_group_mapping/);
    } finally {
      ws.close();
    }
  });
});
