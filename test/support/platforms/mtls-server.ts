import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { selfSigned, serverCertificate, type TestCert } from './certs.js';

export interface MtlsRequest {
  path: string;
  /** SHA-256 fingerprint of the client certificate the server accepted. */
  clientFingerprint: string;
  clientSubject: string;
}

export interface MtlsEndpoint {
  url: string;
  /** The customer's CA: issued the server certificate; what the control plane must verify it against. */
  ca: TestCert;
  /** Accepted requests; each one passed the client-certificate check. */
  requests: MtlsRequest[];
  /** Refused handshakes (a client certificate missing or not trusted). */
  refused: number;
  /** Starts trusting a client certificate, as a BYOC customer does with the one the Hub returns. */
  trust(clientCertificatePem: string): void;
  close(): Promise<void>;
}

/**
 * A customer's Mode C endpoint: TLS with a server certificate from the customer's own CA, and a
 * client certificate demanded and verified on every connection. It trusts no client until told to.
 */
export async function startMtlsEndpoint(opts: { delayMs?: number } = {}): Promise<MtlsEndpoint> {
  const ca = await selfSigned('Acme Hub CA');
  const leaf = await serverCertificate(ca);
  // A trust store must not be empty (Node would fall back to public roots), so it starts with an unrelated certificate.
  const nobody = await selfSigned('nobody', { ca: false });
  const trusted: string[] = [nobody.pem];
  const context = () => ({ key: leaf.keyPem, cert: leaf.pem, ca: trusted });
  const requests: MtlsRequest[] = [];
  const state = { refused: 0 };
  const server = https.createServer({ ...context(), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    requests.push({ path: req.url ?? '/', clientFingerprint: peer.fingerprint256, clientSubject: String(peer.subject?.CN ?? '') });
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hub":"ok"}');
    }, opts.delayMs ?? 0);
  });
  server.on('tlsClientError', () => state.refused++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/claresia`,
    ca,
    requests,
    get refused() {
      return state.refused;
    },
    trust(pem) {
      trusted.push(pem);
      server.setSecureContext(context());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
