/**
 * examples/cdktf-ts synthesized by running main.ts (as users do, without the cdktf CLI), and its
 * JSON applied by the real terraform, installed with `terraform init` from a filesystem mirror,
 * against a control plane on loopback: it converges, re-plans empty and destroys cleanly.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, repoRoot, workspace, type Workspace } from './support/terraform.js';

const exampleDir = path.join(repoRoot, 'examples/cdktf-ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CREDENTIAL = 'sk-ant-admin01-CDKTF-EXAMPLE-9b2e4c71d0';

/**
 * Runs main.ts from `cwd`: cdktf's default local backend puts the state beside the directory
 * synth runs in (an absolute path), so the test's state stays out of the checkout.
 */
function synth(cwd: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', tsxLoader, path.join(exampleDir, 'main.ts')], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
}

describe('examples/cdktf-ts applied with terraform', function () {
  this.timeout(240_000);
  let cp: TestControlPlane;
  let ws: Workspace;
  let scratch: string;
  let certFile: string;
  let synthesized: string;
  const stateFile = () => path.join(scratch, 'terraform.tenant.tfstate');
  const state = () => JSON.parse(readFileSync(stateFile(), 'utf8'));
  const outputs = async () => Object.fromEntries(Object.entries(JSON.parse((await ws.ok(['output', '-json'])).stdout) as Record<string, { value: any }>).map(([k, v]) => [k, v.value]));

  before(async () => {
    await buildProvider();
    const pace = process.env.CLARESIA_HUB_POLL_MS;
    process.env.CLARESIA_HUB_POLL_MS ??= '200';
    cp = await startControlPlane();
    if (pace === undefined) delete process.env.CLARESIA_HUB_POLL_MS;
    scratch = mkdtempSync(path.join(tmpdir(), 'claresia-cdktf-'));
    certFile = path.join(scratch, 'okta.pem');
    writeFileSync(certFile, generateServerCertificate().certPem);
    ws = workspace({ mirror: true, env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken, TF_VAR_anthropic_key: CREDENTIAL } });
  });
  after(async () => {
    ws?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await cp?.close();
  });

  it('names the missing setting when main.ts cannot synthesize', async () => {
    const r = await synth(scratch, { CDKTF_OUTDIR: path.join(scratch, 'none') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /IDP_CERTIFICATE_FILE is not set/);
  });

  it('synthesizes with app.synth() a stack holding no credential', async () => {
    const outdir = path.join(scratch, 'cdktf.out');
    const r = await synth(scratch, { CDKTF_OUTDIR: outdir, CLARESIA_ENDPOINT: cp.url, TENANT_SLUG: 'cdktf-e2e', IDP_CERTIFICATE_FILE: certFile });
    assert.equal(r.code, 0, r.stderr);
    synthesized = readFileSync(path.join(outdir, 'stacks/tenant/cdk.tf.json'), 'utf8');
    const json = JSON.parse(synthesized);
    assert.deepEqual(Object.keys(json.resource).sort(), ['claresia_hub', 'claresia_llm_connector', 'claresia_scim_directory', 'claresia_sso_connection', 'claresia_tenant']);
    assert.equal(json.terraform.required_providers.claresia.source, 'registry.terraform.io/claresia/claresia');
    assert.equal(json.terraform.backend.local.path, stateFile());
    assert.equal(json.resource.claresia_llm_connector.claude.credential, '${var.anthropic_key}');
    for (const secret of [cp.operatorToken, CREDENTIAL]) assert.ok(!synthesized.includes(secret), 'no credential in the synthesized JSON');
  });

  it('installs the provider with terraform init, applies, and re-plans empty', async () => {
    ws.write('cdk.tf.json', synthesized);
    const init = await ws.ok(['init', '-input=false']);
    assert.match(init.stdout, /Installing claresia\/claresia v\d+\.\d+\.\d+/);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /5 to add, 0 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);

    const out = await outputs();
    assert.equal(out.hub_status, 'ready', 'apply waited for the Hub');
    assert.equal(out.health_checks.find((c: any) => c.name === 'hub')?.status, 'green', 'the data source was read after the Hub was ready');
    assert.match(out.acs_url, /^http/);
    assert.match(out.scim_endpoint_url, /^http/);
    assert.ok(typeof out.scim_bearer_token === 'string' && out.scim_bearer_token.length > 20, 'the SCIM token returned once is an output');

    const tenant = await cp.request('GET', `/api/v1/tenants/${out.tenant_id}`, { token: cp.operatorToken });
    assert.equal(tenant.status, 200);
    assert.equal(tenant.body.slug, 'cdktf-e2e');
    // The connector's credential is write-only: sent, never stored by Terraform.
    assert.doesNotMatch(readFileSync(stateFile(), 'utf8'), new RegExp(CREDENTIAL));
  });

  it('destroys everything it created', async () => {
    const { tenant_id } = await outputs();
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal(state().resources.filter((r: any) => r.mode === 'managed').length, 0);
    assert.equal((await cp.request('GET', `/api/v1/tenants/${tenant_id}`, { token: cp.operatorToken })).status, 404);
  });
});
