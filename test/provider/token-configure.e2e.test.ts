/**
 * A refused CLARESIA_TOKEN with the real terraform (review r9 F3): one error, on the provider,
 * naming CLARESIA_TOKEN, instead of one "invalid token" per data source and resource. And a
 * token beside client credentials in the environment is used with a warning saying so.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

const config = `${providerBlock}provider "claresia" {}
data "claresia_archetypes" "all" {}
data "claresia_skill_catalog" "all" {}
resource "claresia_group_mapping" "a" {
  group = "claresia-token-a"
  role  = "member"
}
`;

describe('provider token checked at configure, with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    t = await cp.createTenant();
  });
  after(async () => cp?.close());

  it('a wrong CLARESIA_TOKEN with two data sources and a resource is exactly one error, naming CLARESIA_TOKEN', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: 'op_WRONGTOKENVALUE123' } });
    try {
      ws.write('main.tf', config);
      const r = await ws.tf('plan');
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.match(/Error:/g)?.length, 1, r.stderr);
      assert.match(r.stderr, /Error: Provider credentials rejected/);
      // Terraform wraps the detail at 78 columns: any space may be a line break.
      assert.match(r.stderr, /token \(from CLARESIA_TOKEN\):\s+invalid\s+token\s+\(401\s+from\s+GET\s+\/api\/v1\/me\)/);
      assert.match(r.stderr, /expires/);
      assert.match(r.stderr, /on main\.tf line \d+, in provider "claresia"/);
      assert.doesNotMatch(r.stderr, /Reading claresia_|with data\.claresia_|op_WRONGTOKENVALUE123/);
    } finally {
      ws.close();
    }
  });

  it('CLARESIA_TOKEN beside CLARESIA_CLIENT_ID/SECRET: a warning that the token is used, and the plan goes on', async () => {
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
    try {
      ws.write('main.tf', config);
      const r = await ws.tf('plan');
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout + r.stderr;
      assert.equal(out.match(/Warning: CLARESIA_TOKEN is used; CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET are ignored/g)?.length, 1, out);
      assert.match(out, /1 to add/);
      assert.ok(!out.includes(t.clientSecret) && !out.includes(t.token));
    } finally {
      ws.close();
    }
  });
});
