import dns from 'node:dns';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPublicAddress } from '../net/address-policy.js';
import { checkOutboundUrl, OutboundError } from '../net/guarded-fetch.js';

export interface ProbeTarget {
  url: string;
  /** The customer's CA bundle: the endpoint's server certificate must chain to it. */
  caPem: string;
  certificatePem: string;
  privateKeyPem: string;
  allowPrivate: boolean;
  timeoutMs: number;
}

/**
 * timedOut: the endpoint did not answer within timeoutMs. A check run with a short timeout (one
 * brought forward by a read) says nothing new then, and leaves the last answer standing.
 */
export type ProbeResult = { ok: true; httpStatus: number } | { ok: false; reason: string; timedOut?: boolean };

/** Refuses names that resolve to a private address, inside the socket's own lookup (no rebinding window). */
function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (list.length === 0 || (!allowPrivate && list.some((a) => !isPublicAddress(a.address)))) {
        return callback(new OutboundError('address_not_allowed', 'resolves to a private, loopback or reserved address'), '', 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);
const SERVER_CERT_REFUSED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

function explain(err: unknown, handshakeDone: boolean): string {
  if (err instanceof OutboundError) return `mtls_endpoint_url ${err.message}`;
  const code = (err as NodeJS.ErrnoException).code ?? 'connection failed';
  // In TLS 1.3 the client finishes its handshake before the server has judged the client
  // certificate; a server that then refuses it may just drop the connection without an alert.
  const droppedAfterHandshake = handshakeDone && (code === 'ECONNRESET' || code === 'EPIPE');
  if (CLIENT_CERT_REFUSED.has(code) || droppedAfterHandshake) return `the endpoint refused the control plane's client certificate (${code}); install control_plane_client_certificate as a trusted client certificate`;
  if (SERVER_CERT_REFUSED.has(code)) return `the endpoint's server certificate is not trusted under customer_ca_certificate (${code})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'mtls_endpoint_url does not resolve';
  return `the endpoint could not be reached (${code})`;
}

/**
 * Proves the mutual-TLS link: a real HTTPS request that presents the Hub's client certificate
 * and accepts only a server certificate issued under the customer's CA. Any HTTP answer means
 * both sides accepted each other; with TLS 1.3 a refused client certificate surfaces as an alert
 * on the first read, which is why a whole request is made rather than a bare handshake.
 */
export function probeMtls(t: ProbeTarget): Promise<ProbeResult> {
  let url: URL;
  try {
    url = checkOutboundUrl(t.url, { allowPrivate: t.allowPrivate });
  } catch (err) {
    return Promise.resolve({ ok: false, reason: explain(err, false) });
  }
  if (url.protocol !== 'https:') return Promise.resolve({ ok: false, reason: 'mtls_endpoint_url must be an https:// URL' });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      resolve(r);
    };
    const req = https.request(url, {
      method: 'GET',
      ca: t.caPem,
      cert: t.certificatePem,
      key: t.privateKeyPem,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      lookup: publicOnlyLookup(t.allowPrivate),
      agent: false,
      headers: { 'user-agent': 'claresia-control-plane hub-link-check' },
    });
    let handshakeDone = false;
    let timedOut = false;
    // A deadline for the whole probe, not the socket's idle timeout: that one restarts with every
    // byte and fired only after about twice timeoutMs against an endpoint that accepts the
    // connection and never answers, which a read waiting on the probe cannot afford.
    timer = setTimeout(() => {
      timedOut = true;
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    }, t.timeoutMs);
    const failed = (err: unknown) => done({ ok: false, reason: explain(err, handshakeDone), ...(timedOut ? { timedOut } : {}) });
    req.on('socket', (socket) => socket.once('secureConnect', () => (handshakeDone = true)));
    req.on('error', failed);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done({ ok: true, httpStatus: res.statusCode ?? 0 }));
      res.on('error', failed);
    });
    req.end();
  });
}
