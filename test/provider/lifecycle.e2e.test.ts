/**
 * What happens around the happy path: `terraform init` from a filesystem mirror, state written
 * by an older schema version, state from a newer provider, and an asynchronous resource that
 * does not become ready within its configured timeout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

function stateFile(resources: unknown[]) {
  return JSON.stringify({ version: 4, terraform_version: '1.11.4', serial: 1, lineage: randomUUID(), outputs: {}, resources, check_results: null });
}

describe('provider lifecycle with terraform', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  // A Mode C endpoint that answers but never trusts the Hub's certificate, so the Hub stays
  // provisioning; one that cannot be reached at all would end the wait with a warning instead.
  let stranger: MtlsEndpoint;

  before(async () => {
    stranger = await startMtlsEndpoint();
    await buildProvider();
    // The Hub provisioner reads its pace from the environment when the control plane starts.
    const pace = process.env.CLARESIA_HUB_POLL_MS;
    process.env.CLARESIA_HUB_POLL_MS ??= '200';
    cp = await startControlPlane({ config: { allowPrivateUrls: true } });
    if (pace === undefined) delete process.env.CLARESIA_HUB_POLL_MS;
  });
  after(async () => {
    await cp?.close();
    await stranger?.close();
  });

  const env = () => ({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken });

  it('installs from a filesystem mirror with terraform init and records it in the lock file', async () => {
    const ws = workspace({ mirror: true, env: env() });
    try {
      ws.write('main.tf', `terraform {\n  required_providers {\n    claresia = { source = "claresia/claresia", version = "~> 0.1" }\n  }\n}\nresource "claresia_tenant" "m" {\n  slug = "mirror-init"\n  display_name = "Mirror"\n  region = "us-west-2"\n  deployment_mode = "A"\n  billing_contact = "b@mirror.example"\n}\n`);
      const init = await ws.ok(['init']);
      assert.match(init.stdout, /Installing claresia\/claresia v0\.1\.0/);
      assert.match(readFileSync(path.join(ws.dir, '.terraform.lock.hcl'), 'utf8'), /provider "registry.terraform.io\/claresia\/claresia"[\s\S]*version\s+= "0.1.0"/);
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
  });

  it('upgrades state written at an older schema version and plans no change', async () => {
    const t = await cp.createTenant({ display_name: 'Old State', region: 'eu-west-1', deployment_mode: 'A' });
    const ws = workspace({ env: env() });
    try {
      ws.write(
        'main.tf',
        `${providerBlock}resource "claresia_tenant" "old" {\n  slug = "${t.slug}"\n  display_name = "Old State"\n  region = "eu-west-1"\n  deployment_mode = "A"\n  billing_contact = "${t.body.billing_contact}"\n}\n`,
      );
      // Schema version 0 as an earlier provider stored it: no status/created_at/client_id yet,
      // and an attribute the schema has since dropped.
      ws.write(
        'terraform.tfstate',
        stateFile([
          {
            mode: 'managed',
            type: 'claresia_tenant',
            name: 'old',
            provider: 'provider["registry.terraform.io/claresia/claresia"]',
            instances: [
              {
                schema_version: 0,
                attributes: { id: t.id, slug: t.slug, display_name: 'Old State', region: 'eu-west-1', deployment_mode: 'A', billing_contact: t.body.billing_contact, support_tier: 'standard', legacy_plan: 'gold' },
                sensitive_attributes: [],
              },
            ],
          },
        ]),
      );
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['apply', '-refresh-only', '-auto-approve']);
      const inst = ws.state().resources[0].instances[0];
      assert.equal(inst.schema_version, 1);
      assert.equal(inst.attributes.client_id, t.clientId);
      assert.equal(inst.attributes.status, 'onboarding');
      assert.ok(!('legacy_plan' in inst.attributes));
    } finally {
      ws.close();
    }
  });

  it('refuses state from a newer schema version', async () => {
    const ws = workspace({ env: env() });
    try {
      ws.write('main.tf', `${providerBlock}resource "claresia_tenant" "n" {\n  slug = "newer"\n  display_name = "N"\n  region = "eu-west-1"\n  deployment_mode = "A"\n  billing_contact = "b@n.example"\n}\n`);
      ws.write(
        'terraform.tfstate',
        stateFile([
          { mode: 'managed', type: 'claresia_tenant', name: 'n', provider: 'provider["registry.terraform.io/claresia/claresia"]', instances: [{ schema_version: 9, attributes: { id: 'tnt_x' }, sensitive_attributes: [] }] },
        ]),
      );
      const r = await ws.tf('plan');
      assert.notEqual(r.code, 0);
      // Terraform compares the stored version with the schema's version before it calls the provider.
      assert.match(r.stderr, /Resource instance managed by newer provider version/);
    } finally {
      ws.close();
    }
  });

  it('stops at once when terraform is interrupted, keeping what was created in state', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const ca = stranger.ca.pem;
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
    try {
      ws.write(
        'main.tf',
        `${providerBlock}resource "claresia_hub" "c" {\n  mode = "C"\n  mtls_endpoint_url = "${stranger.url}"\n  customer_ca_certificate = <<-PEM\n${ca.trim()}\n  PEM\n  timeouts = { create = "30m" }\n}\n`,
      );
      const tf = spawn('terraform', ['apply', '-auto-approve', '-no-color'], { cwd: ws.dir, env: ws.env });
      let out = '';
      tf.stdout.on('data', (d) => (out += d));
      tf.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => tf.on('exit', (code) => r(code)));
      // Interrupt once the Hub exists and apply is polling it.
      const deadline = Date.now() + 30_000;
      while (!(await cp.request('GET', '/api/v1/hubs', { token: t.token })).body.items?.length) {
        assert.ok(Date.now() < deadline, `no Hub was created: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      const interrupted = Date.now();
      tf.kill('SIGINT');
      const code = await exited;
      assert.notEqual(code, 0);
      assert.ok(Date.now() - interrupted < 10_000, `terraform took ${Date.now() - interrupted} ms to stop`);
      assert.match(out, /Interrupt received/);
      const inst = ws.state().resources[0].instances[0];
      assert.match(inst.attributes.id, /^hub_/, 'the Hub that exists is in state, not orphaned');
      assert.equal(inst.status, 'tainted');
    } finally {
      ws.close();
    }
  });

  it('refuses a timeout that is not a duration at plan, pointing at its line, and creates nothing', async () => {
    const t = await cp.createTenant();
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
    try {
      ws.write('main.tf', `${providerBlock}resource "claresia_hub" "a" {\n  mode = "A"\n  timeouts = { create = "soon" }\n}\n`);
      const r = await ws.tf('plan');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Invalid duration[\s\S]*on main\.tf line 8[^\n]*\n\s*8:\s+timeouts = \{ create = "soon" \}[\s\S]*"soon" is not a duration/);
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 0);
    } finally {
      ws.close();
    }
  });

  it('stops waiting for an asynchronous resource at its configured timeout and keeps it in state, tainted', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const ca = stranger.ca.pem;
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
    try {
      // Mode C waits for the customer's endpoint to trust the control plane: it stays provisioning.
      ws.write(
        'main.tf',
        `${providerBlock}resource "claresia_hub" "c" {\n  mode = "C"\n  mtls_endpoint_url = "${stranger.url}"\n  customer_ca_certificate = <<-PEM\n${ca.trim()}\n  PEM\n  timeouts = { create = "3s" }\n}\n`,
      );
      const started = Date.now();
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /was created but did not become ready[\s\S]*timed out after 3000 ms waiting for status to be ready \(still provisioning\)/);
      assert.ok(Date.now() - started < 60_000);
      const inst = ws.state().resources[0].instances[0];
      assert.equal(inst.status, 'tainted');
      assert.match(inst.attributes.id, /^hub_/);
      const hub = await cp.request('GET', `/api/v1/hubs/${inst.attributes.id}`, { token: t.token });
      assert.equal(hub.body.status, 'provisioning');
    } finally {
      ws.close();
    }
  });
});
