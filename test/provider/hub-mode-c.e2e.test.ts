/**
 * The Mode C Hub lifecycle with the real terraform binary and a real mTLS endpoint (review r1
 * #1, #2, #5): the endpoint's trust store managed from the Hub's own outputs in the same apply,
 * the customer CA rotated in place, and a wait that ends badly reported with the API's reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { selfSigned } from '../support/platforms/certs.js';
import { until, withEnv } from '../support/until.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const PACE = {
  CLARESIA_HUB_POLL_MS: '100',
  CLARESIA_HUB_RETRY_MS: '200',
  CLARESIA_HUB_MAX_RETRY_MS: '1000',
  CLARESIA_HUB_EARLY_MAX_RETRY_MS: '1000',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '10',
};

const heredoc = (pem: string) => `<<-PEM\n${pem.trim()}\n  PEM`;

function hubConfig(opts: { url: string; ca: string; waitForReady?: boolean; createTimeout?: string; trustStore?: boolean }) {
  return `${providerBlock}
resource "claresia_hub" "c" {
  mode                    = "C"
  mtls_endpoint_url       = "${opts.url}"
  customer_ca_certificate = ${heredoc(opts.ca)}
${opts.waitForReady === undefined ? '' : `  wait_for_ready          = ${opts.waitForReady}\n`}  timeouts = { create = "${opts.createTimeout ?? '60s'}", update = "60s" }
}
${
  opts.trustStore
    ? `
# The customer's own infrastructure: the endpoint's client-certificate trust store, written from the Hub's output.
resource "terraform_data" "trust_store" {
  input = claresia_hub.c.control_plane_client_certificate
  provisioner "local-exec" {
    command     = "printf '%s\\\\n' \\"$CERT\\" > trusted-client.pem"
    environment = { CERT = self.input }
  }
}

# Read during this apply, once the trust store exists: waits for the Hub to turn ready.
data "claresia_hub_ready" "c" {
  id              = claresia_hub.c.id
  timeout_seconds = 60
  depends_on      = [terraform_data.trust_store]
}

output "ready" {
  value = { status = data.claresia_hub_ready.c.status, sha256 = data.claresia_hub_ready.c.control_plane_client_certificate_sha256 }
}
`
    : ''
}
output "status" {
  value = claresia_hub.c.status
}
`;
}

describe('claresia_hub Mode C with terraform', function () {
  this.timeout(180_000);
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

  const tenantWorkspace = (t: TenantFixture) => workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: t.clientId, CLARESIA_CLIENT_SECRET: t.clientSecret } });
  const hubIn = (ws: Workspace) => ws.state().resources.find((r: any) => r.type === 'claresia_hub').instances[0];

  it('wait_for_ready = false: the trust store takes the certificate in the same apply, the Hub turns ready, a CA rotation updates it in place', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const ws = tenantWorkspace(t);
    try {
      ws.write('main.tf', hubConfig({ url: endpoint.url, ca: endpoint.ca.pem, waitForReady: false, trustStore: true }));
      // The endpoint reloads its trust store when the file the configuration writes appears.
      const trustFile = path.join(ws.dir, 'trusted-client.pem');
      let installed = false;
      const applying = ws.tf('apply', '-auto-approve');
      const watcher = until('the trust store written by apply', () => existsSync(trustFile) && readFileSync(trustFile, 'utf8').includes('END CERTIFICATE'), 120_000).then(() => {
        endpoint.trust(readFileSync(trustFile, 'utf8'));
        installed = true;
      });
      const applied = await applying;
      assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);
      assert.match(applied.stdout, /Apply complete! Resources: 2 added/);
      await watcher;
      assert.ok(installed);
      const inst = hubIn(ws);
      const outputs = JSON.parse((await ws.ok(['output', '-json'])).stdout);
      assert.deepEqual(outputs.ready.value, { status: 'ready', sha256: inst.attributes.control_plane_client_certificate_sha256 }, 'claresia_hub_ready waited, in the same apply, for the Hub to turn ready');
      assert.equal(inst.status, undefined, 'not tainted');
      assert.equal(inst.attributes.status, 'provisioning', 'create returned once the certificate was issued');
      assert.equal(inst.attributes.wait_for_ready, false);
      assert.equal(new X509Certificate(inst.attributes.control_plane_client_certificate).fingerprint256, inst.attributes.control_plane_client_certificate_sha256);
      const hubId = inst.attributes.id;
      const ready = await until('the Hub ready once its endpoint trusts it', async () => {
        const r = await cp.request('GET', `/api/v1/hubs/${hubId}`, { token: t.token });
        return r.body.status === 'ready' ? r.body : undefined;
      });
      // A refresh picks the readiness up; nothing to change.
      await ws.ok(['apply', '-refresh-only', '-auto-approve']);
      assert.equal(hubIn(ws).attributes.status, 'ready');
      await ws.ok(['plan', '-detailed-exitcode'], 0);

      // wait_for_ready changes nothing in place.
      ws.write('main.tf', hubConfig({ url: endpoint.url, ca: endpoint.ca.pem, trustStore: true }));
      const flip = await ws.ok(['apply', '-auto-approve']);
      assert.match(flip.stdout, /0 added, 1 changed, 0 destroyed/);

      // CA rotation, step one: the new CA next to the old one. In place, same Hub and certificate.
      const newCa = await selfSigned('Acme Hub CA 2027');
      const bundle = `${endpoint.ca.pem.trim()}\n${newCa.pem.trim()}`;
      ws.write('main.tf', hubConfig({ url: endpoint.url, ca: bundle, trustStore: true }));
      const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
      assert.match(plan.stdout, /claresia_hub\.c will be updated in-place/);
      assert.doesNotMatch(plan.stdout, /must be replaced|forces replacement/);
      assert.match(plan.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
      const seen = endpoint.requests.length;
      const rotated = await ws.ok(['apply', '-auto-approve']);
      assert.match(rotated.stdout, /0 added, 1 changed, 0 destroyed/);
      const after = hubIn(ws).attributes;
      assert.equal(after.id, hubId);
      assert.equal(after.status, 'ready', 'the update waited for the link to be proven again');
      assert.equal(after.control_plane_client_certificate_sha256, ready.control_plane_client_certificate_sha256);
      assert.equal(after.hub_key_id, ready.hub_key_id);
      assert.equal(after.customer_ca_certificate_sha256, [endpoint.ca.pem, newCa.pem].map((p) => new X509Certificate(p).fingerprint256).join(','));
      assert.ok(endpoint.requests.slice(seen).some((r) => r.clientFingerprint === ready.control_plane_client_certificate_sha256), 'proven with the pinned certificate');
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 1, 'no Hub was destroyed or created');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      await ws.ok(['destroy', '-auto-approve']);
    } finally {
      ws.close();
    }
  });

  it('a wait that times out says why (the API reason, the certificate to install) and keeps the last polled state', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const stranger = await startMtlsEndpoint();
    const ws = tenantWorkspace(t);
    try {
      ws.write('main.tf', hubConfig({ url: stranger.url, ca: stranger.ca.pem, createTimeout: '4s' }));
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      const inst = hubIn(ws);
      assert.equal(inst.status, 'tainted');
      const fp = inst.attributes.control_plane_client_certificate_sha256;
      const text = r.stderr.replace(/\s+/g, ' ');
      assert.match(text, /timed out after 4000 ms waiting for status to be ready \(still provisioning\): waiting: the endpoint refused the control plane's client certificate/);
      assert.ok(text.includes(`control_plane_client_certificate_sha256 = ${fp}`), text);
      assert.ok(text.includes(`GET /api/v1/hubs/${inst.attributes.id} shows its progress`), text);
      assert.match(inst.attributes.status_reason, /refused the control plane's client certificate/, 'the state holds the last poll, not the create answer');
    } finally {
      ws.close();
      await stranger.close();
    }
  });

  it('claresia_hub_ready fails with the reason when the Hub does not turn ready in time', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const stranger = await startMtlsEndpoint();
    const ws = tenantWorkspace(t);
    try {
      ws.write(
        'main.tf',
        `${hubConfig({ url: stranger.url, ca: stranger.ca.pem, waitForReady: false })}
data "claresia_hub_ready" "c" {
  id              = claresia_hub.c.id
  timeout_seconds = 3
}
`,
      );
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      const text = r.stderr.replace(/\s+/g, ' ');
      const inst = hubIn(ws);
      assert.equal(inst.status, undefined, 'the Hub itself is not tainted: only the wait failed');
      assert.match(text, new RegExp(`/api/v1/hubs/${inst.attributes.id} is still provisioning after 3 s: waiting: the endpoint refused the control plane's client certificate`));
      assert.ok(text.includes(`control_plane_client_certificate_sha256 = ${inst.attributes.control_plane_client_certificate_sha256}`), text);
    } finally {
      ws.close();
      await stranger.close();
    }
  });

  it('plan refuses a CA bundle the API would refuse (a leaf, an expired CA, a chain starting with the leaf), at its line, in the API words, creating nothing', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const ws = tenantWorkspace(t);
    try {
      const leaf = await selfSigned('hub.acme.example', { ca: false });
      const expired = await selfSigned('Old CA', { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
      const cases: Array<[string, RegExp]> = [
        [leaf.pem, /must hold only CA certificates: the certificate is not a CA certificate \(basicConstraints CA:TRUE is missing\)/],
        [`${leaf.pem.trim()}\n${endpoint.ca.pem.trim()}`, /must hold only CA certificates: certificate 1 is not a CA certificate/],
      ];
      for (const [ca, message] of cases) {
        ws.write('main.tf', hubConfig({ url: endpoint.url, ca }));
        const r = await ws.tf('plan');
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Invalid value for customer_ca_certificate/);
        assert.match(r.stderr.replace(/\s+/g, ' '), message);
        assert.match(r.stderr, /on main\.tf line \d+, in resource "claresia_hub" "c":\n.*customer_ca_certificate = <<-PEM/);
      }
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 0);
      // Dates are the API's: an expired CA passes plan (an unchanged bundle whose CA expired must
      // not stop every plan of the workspace) and is refused when it is sent.
      ws.write('main.tf', hubConfig({ url: endpoint.url, ca: expired.pem }));
      assert.equal((await ws.tf('plan')).code, 0);
      const apply = await ws.tf('apply', '-auto-approve');
      assert.notEqual(apply.code, 0);
      assert.match(apply.stderr.replace(/\s+/g, ' '), /customer_ca_certificate: the certificate expired on 2021-01-01T00:00:00\.000Z/);
      assert.equal(await cp.count('hubs', { tenant_id: t.id }), 0);
    } finally {
      ws.close();
    }
  });

  it('a Hub that fails says why and points at the input the reason names', async () => {
    const t = await cp.createTenant({ deployment_mode: 'C' });
    const wrongCa = await selfSigned('Not the endpoint CA');
    const ws = tenantWorkspace(t);
    try {
      ws.write('main.tf', hubConfig({ url: endpoint.url, ca: wrongCa.pem, createTimeout: '60s' }));
      const r = await ws.tf('apply', '-auto-approve');
      assert.notEqual(r.code, 0);
      const text = r.stderr.replace(/\s+/g, ' ');
      assert.match(text, /ended in status failed: the endpoint's server certificate is not trusted under customer_ca_certificate/);
      assert.match(r.stderr, /on main\.tf line \d+, in resource "claresia_hub" "c":\n.*customer_ca_certificate = <<-PEM/);
      const inst = hubIn(ws);
      assert.equal(inst.attributes.status, 'failed');
    } finally {
      ws.close();
    }
  });
});
