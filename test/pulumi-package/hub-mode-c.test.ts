/**
 * The Mode C Hub through the Pulumi plugin, as Terraform has it (review r1 #1, #2, #5):
 * waitForReady = false returns once the client certificate is issued, the CA and endpoint
 * change in place (Diff plans an update, Update proves the link again with the same
 * certificate), and a wait that ends badly says why with the state as last polled.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import statusPb from '@pulumi/pulumi/proto/status_pb.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint, type MtlsEndpoint } from '../support/platforms/mtls-server.js';
import { selfSigned } from '../support/platforms/certs.js';
import { withEnv } from '../support/until.js';
import { js, launchPlugin, pb, pulumiDir, req, secret, struct, urnOf, type Plugin } from './support/engine.js';

const FAST_WORKER = {
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
  CLARESIA_HUB_EARLY_MAX_RETRY_MS: '200',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '5',
};

function initFailure(err: any): InstanceType<typeof pb.ErrorResourceInitFailed> | undefined {
  const bin = err.metadata?.get('grpc-status-details-bin')?.[0];
  if (!bin) return undefined;
  const any = statusPb.Status.deserializeBinary(bin).getDetailsList()[0];
  return any?.unpack(pb.ErrorResourceInitFailed.deserializeBinary, 'pulumirpc.ErrorResourceInitFailed') ?? undefined;
}

describe('pulumi schema: the Hub wait argument and in-place link settings', () => {
  it('offers waitForReady as an input only, and does not replace on customerCaCertificate or mtlsEndpointUrl', () => {
    const schema = JSON.parse(readFileSync(path.join(pulumiDir, 'schema.json'), 'utf8'));
    const hub = schema.resources['claresia:index:Hub'];
    assert.equal(hub.inputProperties.waitForReady.type, 'boolean');
    assert.equal(hub.inputProperties.waitForReady.default, true);
    assert.equal(hub.properties.waitForReady, undefined, 'never an API output');
    assert.equal(hub.inputProperties.customerCaCertificate.willReplaceOnChanges, undefined);
    assert.equal(hub.inputProperties.mtlsEndpointUrl.willReplaceOnChanges, undefined);
    assert.equal(hub.inputProperties.mode.willReplaceOnChanges, true);
    assert.equal(hub.properties.controlPlaneClientCertificateNotAfter.type, 'string');
  });
});

for (const kind of dbKinds()) {
  describe(`pulumi provider, Mode C Hub lifecycle [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let endpoint: MtlsEndpoint;
    let restore: () => void;
    const H = (name: string) => urnOf('Hub', name);

    before(async () => {
      restore = withEnv(FAST_WORKER);
      endpoint = await startMtlsEndpoint();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await endpoint?.close();
      restore?.();
    });

    async function tenantPlugin(t: TenantFixture): Promise<Plugin> {
      const p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, clientId: t.clientId, clientSecret: secret(t.clientSecret) }));
      return p;
    }

    it('waitForReady false returns with the certificate; the CA rotates in place with the same Hub and certificate', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const p = await tenantPlugin(t);
      try {
        const inputs = { mode: 'C', mtlsEndpointUrl: endpoint.url, customerCaCertificate: endpoint.ca.pem.trim(), waitForReady: false };
        const check = await p.call<any>('check', req.check(H('c'), inputs));
        assert.deepEqual(check.getFailuresList().map((f: any) => f.getReason()), []);
        const bad = await p.call<any>('check', req.check(H('c'), { ...inputs, waitForReady: 'no' }));
        assert.deepEqual(bad.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]), [['waitForReady', 'waitForReady must be a boolean']]);

        const created = await p.call<any>('create', req.create(H('c'), inputs));
        const id = created.getId();
        const outs = js(created.getProperties());
        assert.equal(outs.status, 'provisioning', 'returned before the endpoint trusts the certificate');
        assert.match(outs.controlPlaneClientCertificate, /BEGIN CERTIFICATE/);
        assert.equal(outs.waitForReady, undefined);

        const invoke = (args: Record<string, unknown>) => {
          const r = new pb.InvokeRequest();
          r.setTok('claresia:index:getHubReady');
          r.setArgs(struct(args));
          return p.call<any>('invoke', r);
        };
        const notYet = await invoke({ id, timeoutSeconds: 1 }).then(
          (r: any) => r,
          (e: any) => e,
        );
        const notYetText = String(notYet.details ?? notYet.getFailuresList?.().map((f: any) => f.getReason()).join(' ') ?? notYet);
        assert.match(notYetText, new RegExp(`/api/v1/hubs/${id} is still provisioning after 1 s: waiting: `));
        endpoint.trust(outs.controlPlaneClientCertificate);
        const ready = js((await invoke({ id, timeoutSeconds: 30 })).getReturn());
        assert.equal(ready.status, 'ready', 'getHubReady waited for the Hub to turn ready');
        assert.equal(ready.controlPlaneClientCertificateSha256, outs.controlPlaneClientCertificateSha256);
        // Changing only waitForReady is no change to the Hub.
        const flip = await p.call<any>('diff', req.diff(H('c'), id, outs, { ...inputs, waitForReady: true }, inputs));
        assert.equal(flip.getChanges(), pb.DiffResponse.DiffChanges.DIFF_NONE);

        const newCa = await selfSigned('Acme Hub CA 2027');
        const rotated = { ...inputs, waitForReady: true, customerCaCertificate: `${endpoint.ca.pem.trim()}\n${newCa.pem.trim()}` };
        const diff = await p.call<any>('diff', req.diff(H('c'), id, outs, rotated, inputs));
        assert.equal(diff.getChanges(), pb.DiffResponse.DiffChanges.DIFF_SOME);
        assert.deepEqual(diff.getReplacesList(), [], 'an update in place, not a replacement');
        assert.deepEqual(diff.getDiffsList(), ['customerCaCertificate']);

        const updated = await p.call<any>('update', req.update(H('c'), id, outs, rotated, false, inputs));
        const after = js(updated.getProperties());
        assert.equal(after.status, 'ready', 'Update waited for the link to be proven again');
        assert.equal(after.controlPlaneClientCertificateSha256, outs.controlPlaneClientCertificateSha256);
        assert.equal(after.customerCaCertificateSha256.split(',').length, 2);
        assert.equal(await cp.count('hubs', { tenant_id: t.id }), 1);
        assert.ok(endpoint.requests.some((r) => r.clientFingerprint === outs.controlPlaneClientCertificateSha256));
        await p.call('delete', req.delete(H('c'), id, after));
      } finally {
        await p.stop();
      }
    });

    it('Check refuses a CA bundle the API would refuse, in its words, at customerCaCertificate', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const p = await tenantPlugin(t);
      try {
        const leaf = await selfSigned('hub.acme.example', { ca: false });
        const check = await p.call<any>('check', req.check(H('l'), { mode: 'C', mtlsEndpointUrl: endpoint.url, customerCaCertificate: leaf.pem }));
        assert.deepEqual(
          check.getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]),
          [['customerCaCertificate', 'customerCaCertificate must hold only CA certificates: the certificate is not a CA certificate (basicConstraints CA:TRUE is missing)']],
        );
        const api = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'C', mtls_endpoint_url: endpoint.url, customer_ca_certificate: leaf.pem } });
        assert.equal(api.status, 400);
        assert.equal(api.body.error.field, 'customer_ca_certificate');
        assert.equal(api.body.error.message, 'customer_ca_certificate: the certificate is not a CA certificate (basicConstraints CA:TRUE is missing)', 'the same words as the API');
      } finally {
        await p.stop();
      }
    });

    it('a Hub that fails is reported with the API reason and its state as last polled', async () => {
      const t = await cp.createTenant({ deployment_mode: 'C' });
      const p = await tenantPlugin(t);
      try {
        const wrongCa = await selfSigned('Not the endpoint CA');
        const inputs = { mode: 'C', mtlsEndpointUrl: endpoint.url, customerCaCertificate: wrongCa.pem.trim() };
        const err = await p.call('create', req.create(H('f'), inputs)).then(
          () => assert.fail('create must fail'),
          (e) => e,
        );
        assert.match(err.details, /ended in status failed: the endpoint's server certificate is not trusted under customer_ca_certificate/);
        assert.match(err.details, /controlPlaneClientCertificateSha256 = ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
        const failure = initFailure(err);
        assert.equal(js(failure!.getProperties()).status, 'failed', 'the state as last polled, not as created');
        await p.call('delete', req.delete(H('f'), failure!.getId(), js(failure!.getProperties())));
      } finally {
        await p.stop();
      }
    });
  });
}
