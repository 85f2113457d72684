/**
 * The module's own `terraform test` files, run with the real terraform: the plan-only runs with
 * mock providers (every validation rule), and the run that applies examples/basic against a real
 * control plane and destroys it. Also: a validation failure against the real provider names the
 * field in a sentence and creates nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { buildProvider, type TfResult, type Workspace } from '../provider/support/terraform.js';
import { tenantModuleConfig, tenantModuleWorkspace } from './support.js';

function run(ws: Workspace, cwd: string, args: string[]): Promise<TfResult> {
  return new Promise((resolve) =>
    execFile('terraform', [args[0]!, '-no-color', ...args.slice(1)], { cwd, env: ws.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A copy of the module in its own workspace (mirror CLI config), initialised. */
async function moduleWorkspace(env: Record<string, string> = {}): Promise<{ ws: Workspace; dir: string }> {
  const { ws, dir } = tenantModuleWorkspace(env);
  const init = await run(ws, dir, ['init', '-input=false']);
  assert.equal(init.code, 0, init.stdout + init.stderr);
  return { ws, dir };
}

describe('terraform-claresia-tenant: terraform test', function () {
  this.timeout(600_000);
  before(() => buildProvider());

  it('passes every plan-only run of tests/validation.tftest.hcl (mock providers)', async () => {
    const { ws, dir } = await moduleWorkspace();
    try {
      const runs = (readFileSync(path.join(dir, 'tests/validation.tftest.hcl'), 'utf8').match(/^run "/gm) ?? []).length;
      const r = await run(ws, dir, ['test', '-filter=tests/validation.tftest.hcl']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`Success! ${runs} passed, 0 failed`));
    } finally {
      ws.close();
    }
  });

  for (const kind of dbKinds()) describe(`against a control plane (${kind})`, () => {
    let cp: TestControlPlane;
    before(async () => {
      const pace = process.env.CLARESIA_HUB_POLL_MS;
      process.env.CLARESIA_HUB_POLL_MS ??= '200';
      cp = await startControlPlane({ db: kind });
      if (pace === undefined) delete process.env.CLARESIA_HUB_POLL_MS;
    });
    after(async () => {
      await cp?.close();
    });
    const env = () => ({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, TF_VAR_anthropic_api_key: 'sk-ant-admin01-TFTEST-6a1f0e2d' });

    it('tests/control-plane.tftest.hcl applies examples/basic, checks the outputs, and destroys it', async () => {
      const { ws, dir } = await moduleWorkspace(env());
      try {
        const r = await run(ws, dir, ['test', '-filter=tests/control-plane.tftest.hcl']);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /run "basic_tenant"\.\.\. pass/);
        assert.match(r.stdout, /Success! 1 passed, 0 failed/);
        const tenants = await cp.request('GET', '/api/v1/tenants', { token: cp.operatorToken });
        assert.equal(tenants.status, 200);
        assert.deepEqual(tenants.body.items.filter((t: any) => t.slug === 'acme-basic' && t.status !== 'offboarded'), [], 'terraform test destroyed the tenant');
        assert.ok((await cp.count('tenants')) >= 1, 'a tenant was created on the way');
      } finally {
        ws.close();
      }
    });

    it('a replaced tenant takes everything inside it along in one apply, and every output can be used in Mode A', async () => {
      const { ws, dir } = await moduleWorkspace(env());
      try {
        // A caller of the module as users write one, with every output of the Hub in use.
        ws.write(
          'main.tf',
          tenantModuleConfig({
            before: 'variable "slug" { type = string }',
            tenant: { slug: { expr: 'var.slug' }, display_name: 'Acme (replaced)' },
            inputs: `  scim         = { idp = "okta" }
  cowork_packs = { starter = { blocked_skills = [] } }`,
            after: `resource "terraform_data" "uses_outputs" {
  input = {
    ca        = module.tenant.customer_ca_certificate_sha256
    client    = module.tenant.control_plane_client_certificate_sha256
    endpoint  = module.tenant.mtls_endpoint_url
    hub       = module.tenant.hub_id
  }
}
`,
          }),
        );
        const init = await run(ws, ws.dir, ['init', '-input=false']);
        assert.equal(init.code, 0, init.stdout + init.stderr);
        const first = await run(ws, ws.dir, ['apply', '-auto-approve', '-var', 'slug=acme-before']);
        assert.equal(first.code, 0, first.stdout + first.stderr);
        const tenantOf = (slug: string) => cp.db('tenants').where({ slug }).whereNot({ status: 'offboarded' }).first('id');
        const before = (await tenantOf('acme-before'))!.id as string;

        // A new slug replaces the tenant: the plan says so of everything inside it too.
        const plan = await run(ws, ws.dir, ['plan', '-var', 'slug=acme-after']);
        assert.equal(plan.code, 0, plan.stdout + plan.stderr);
        for (const r of ['claresia_tenant.this', 'claresia_scim_directory.this[0]', 'claresia_hub.this', 'claresia_cowork.this["starter"]']) {
          assert.match(plan.stdout, new RegExp(`module\\.tenant\\.${r.replace(/[[\]."]/g, '\\$&')} (must|will) be replaced`), `${r} is replaced with its tenant`);
        }
        const second = await run(ws, ws.dir, ['apply', '-auto-approve', '-var', 'slug=acme-after']);
        assert.equal(second.code, 0, second.stdout + second.stderr);
        const after = (await tenantOf('acme-after'))!.id as string;
        assert.notEqual(after, before);
        assert.equal(await cp.count('scim_directories', { tenant_id: after }), 1, 'the new tenant has its directory after one apply');
        assert.equal(await cp.count('hubs', { tenant_id: after }), 1, 'and its Hub');
        // The old tenant's children were deleted with the new tenant's credentials, which cannot
        // see them: its offboarding is what takes its Hub out of service.
        assert.ok((await cp.db('hubs').where({ tenant_id: before }).first()).deleted_at, "the old tenant's Hub is decommissioned");
        const again = await run(ws, ws.dir, ['plan', '-detailed-exitcode', '-var', 'slug=acme-after']);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.equal((await run(ws, ws.dir, ['destroy', '-auto-approve', '-var', 'slug=acme-after'])).code, 0);
      } finally {
        ws.close();
      }
    });

    it('a bad input fails the plan with a sentence naming the field, and creates nothing', async () => {
      const { ws, dir } = await moduleWorkspace(env());
      try {
        const before = await cp.count('tenants');
        const ex = path.join(dir, 'examples/basic');
        assert.equal((await run(ws, ex, ['init', '-input=false'])).code, 0);
        const r = await run(ws, ex, ['apply', '-auto-approve', '-var', 'slug=Acme_Basic']);
        assert.equal(r.code, 1);
        const said = r.stderr.replace(/\s+/g, ' '); // terraform wraps its messages
        assert.match(said, /Invalid value for variable/);
        assert.match(said, /tenant\.slug must match \^\[a-z\]\[a-z0-9-\]\{1,61\}\[a-z0-9\]\$ \(Short unique name: lowercase letters, digits and hyphens, 3 to 63 characters/);
        assert.match(said, /var\.tenant\.slug is "Acme_Basic"/);
        assert.equal(await cp.count('tenants'), before);
      } finally {
        ws.close();
      }
    });
  });
});
