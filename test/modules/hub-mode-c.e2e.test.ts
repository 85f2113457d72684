/**
 * The tenant module in Mode C with the endpoint's trust store fed from the module's own outputs in
 * the same apply (review r1 #1): hub.wait_for_ready = false and hub_ready_after let one apply
 * create the Hub, install its certificate and come back with a ready Hub and a green health check,
 * where the Hub's create used to wait for a certificate only its outputs could supply.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { until, withEnv } from '../support/until.js';
import { buildProvider, workspace } from '../provider/support/terraform.js';
import { MODULE, tenantModuleConfig } from './support.js';

const PACE = { CLARESIA_HUB_POLL_MS: '200', CLARESIA_HUB_RETRY_MS: '200', CLARESIA_HUB_MAX_RETRY_MS: '1000', CLARESIA_HUB_EARLY_MAX_RETRY_MS: '1000' };

describe('terraform-claresia-tenant Mode C, trust store in the same apply', function () {
  this.timeout(300_000);
  let cp: TestControlPlane;
  let endpoint: MtlsEndpoint;
  let restore: () => void;

  before(async () => {
    await buildProvider();
    restore = withEnv(PACE);
    endpoint = await startMtlsEndpoint();
    cp = await startControlPlane({ config: { allowPrivateUrls: true } });
  });
  after(async () => {
    await cp?.close();
    await endpoint?.close();
    restore?.();
  });

  it('one apply: Hub created, certificate installed from the module output, Hub ready, health green; re-plan empty', async () => {
    const ws = workspace({ mirror: true, env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken } });
    try {
      ws.write(
        'main.tf',
        tenantModuleConfig({
          source: MODULE,
          tenant: { slug: 'same-apply-c', display_name: 'Same Apply', region: 'us-east-1', deployment_mode: 'C', billing_contact: 'b@same-apply.example' },
          inputs: `  hub = {
    mtls_endpoint_url       = "${endpoint.url}"
    customer_ca_certificate = <<-PEM
${endpoint.ca.pem.trim()}
    PEM
    wait_for_ready          = false
  }
  hub_ready_after = terraform_data.trust_store.id`,
          after: `
# The customer's endpoint trust store, written from the module's output.
resource "terraform_data" "trust_store" {
  input = module.tenant.control_plane_client_certificate
  provisioner "local-exec" {
    command     = "printf '%s\\\\n' \\"$CERT\\" > trusted-client.pem"
    environment = { CERT = self.input }
  }
}

output "hub_status" {
  value = module.tenant.hub_status
}

output "hub_health" {
  value = module.tenant.health.checks.hub.status
}
`,
        }),
      );
      await ws.ok(['init', '-input=false']);
      const trustFile = path.join(ws.dir, 'trusted-client.pem');
      const applying = ws.tf('apply', '-auto-approve');
      const installed = until('the trust store written by apply', () => existsSync(trustFile) && readFileSync(trustFile, 'utf8').includes('END CERTIFICATE'), 240_000).then(() =>
        endpoint.trust(readFileSync(trustFile, 'utf8')),
      );
      const applied = await applying;
      assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);
      await installed;
      const out = JSON.parse((await ws.ok(['output', '-json'])).stdout);
      assert.equal(out.hub_status.value, 'ready', 'hub_status describes the Hub once the trust store took its certificate');
      assert.equal(out.hub_health.value, 'green');
      const hub = ws.state().resources.find((r: any) => r.type === 'claresia_hub').instances[0];
      assert.equal(hub.status, undefined, 'not tainted');
      assert.ok(endpoint.requests.some((r) => r.clientFingerprint === hub.attributes.control_plane_client_certificate_sha256));
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
  });
});
