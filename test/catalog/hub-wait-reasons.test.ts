/**
 * Which `waiting: ` reasons of a provisioning Mode C Hub end the wait of an apply (review r9 F2):
 * an endpoint that cannot be reached at all (a host that does not resolve, a refused or
 * unanswered connection) ends it, with the warning at mtls_endpoint_url; an endpoint that does
 * not trust the client certificate yet is what the wait is for, and does not. The reasons are
 * the real probe's words (hub/mtls-probe.ts), prefixed as the provisioner writes them, so a
 * change of those words that the catalog does not follow fails here.
 */
import assert from 'node:assert/strict';
import { inconclusiveReason, reasonInput, resourceByName } from '@claresia/catalog';
import { probeMtls } from '../../control-plane/src/hub/mtls-probe.js';
import { startBlackHole } from '../support/platforms/black-hole.js';
import { selfSigned, type TestCert } from '../support/platforms/certs.js';
import { startMtlsEndpoint } from '../support/platforms/mtls-server.js';

const hub = resourceByName('hub');
const pending = (reason: string) => ({ id: 'hub_0c4f7a92d1e8b635', status: 'provisioning', status_reason: reason });

describe('catalog: the reasons that end a Hub wait', function () {
  this.timeout(20_000);
  let client: TestCert;
  before(async () => {
    client = await selfSigned('hub client');
  });
  // As provisioner.ts records a failed link check on a Hub that keeps trying.
  const waitingReason = async (url: string, caPem = client.pem, allowPrivate = true) => {
    const r = await probeMtls({ url, caPem, certificatePem: client.pem, privateKeyPem: client.keyPem, allowPrivate, timeoutMs: 300 });
    assert.equal(r.ok, false, `the probe of ${url} fails`);
    return `waiting: ${(r as { reason: string }).reason}`;
  };

  it('an endpoint that cannot be reached ends it, about mtls_endpoint_url', async () => {
    const hole = await startBlackHole();
    const silent = hole.url;
    const closed = await startBlackHole();
    const refusedUrl = closed.url;
    await closed.close();
    try {
      const reasons = [
        await waitingReason('https://hub.acme-typo.invalid:8443/claresia'),
        await waitingReason(refusedUrl),
        await waitingReason(silent),
        await waitingReason('https://127.0.0.1:8443/claresia', client.pem, false),
      ];
      assert.deepEqual(reasons, [
        'waiting: mtls_endpoint_url does not resolve',
        'waiting: the endpoint could not be reached (ECONNREFUSED)',
        'waiting: the endpoint could not be reached (ETIMEDOUT)',
        'waiting: mtls_endpoint_url points to a private, loopback or reserved address',
      ]);
      for (const reason of reasons) {
        assert.equal(inconclusiveReason(hub, pending(reason)), reason, reason);
        assert.equal(reasonInput(hub, reason), 'mtls_endpoint_url', reason);
      }
      for (const reason of ['waiting: the endpoint could not be reached (EHOSTUNREACH)', 'waiting: the endpoint could not be reached (ENETUNREACH)']) {
        assert.equal(inconclusiveReason(hub, pending(reason)), reason, reason);
      }
    } finally {
      await hole.close();
    }
  });

  it('an endpoint that does not trust the client certificate yet does not: the user installs it during the wait', async () => {
    const endpoint = await startMtlsEndpoint();
    try {
      const refused = await waitingReason(endpoint.url, endpoint.ca.pem);
      assert.match(refused, /^waiting: the endpoint refused the control plane's client certificate/);
      const reasons = [
        // The reason provision and a change of link settings write before the first check.
        'waiting: the endpoint must trust control_plane_client_certificate',
        'waiting: proving the link again after a change of mtls_endpoint_url',
        refused,
        // Dropped during a TLS 1.2 handshake by a server that does not trust the certificate.
        'waiting: the endpoint could not be reached (ECONNRESET)',
        await waitingReason(endpoint.url, client.pem),
      ];
      assert.match(reasons[4]!, /^waiting: the endpoint's server certificate is not trusted under customer_ca_certificate/);
      for (const reason of reasons) assert.equal(inconclusiveReason(hub, pending(reason)), undefined, reason);
    } finally {
      await endpoint.close();
    }
  });

  it('only while the Hub is provisioning', () => {
    const reason = 'waiting: mtls_endpoint_url does not resolve';
    assert.equal(inconclusiveReason(hub, { ...pending(reason), status: 'ready' }), undefined);
    assert.equal(inconclusiveReason(hub, { ...pending(reason), status: 'failed' }), undefined);
    // A failed Hub's reason carries no `waiting: `, and is judged by the name it quotes, as before.
    assert.equal(reasonInput(hub, 'the endpoint could not be reached (ECONNREFUSED)'), undefined);
  });

  it('the LLM connector still ends on any `waiting: ` reason', () => {
    const connector = resourceByName('llm_connector');
    const waiting = 'waiting: the automatic test got platform_unreachable: the claude API base_url could not be reached; it is retried';
    assert.equal(inconclusiveReason(connector, { status: 'untested', status_reason: waiting }), waiting);
    assert.equal(reasonInput(connector, waiting), 'base_url');
  });
});
