// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Why a customer CA certificate is refused; the message is shown with the field name. */
export class CertificateError extends Error {}

export interface CaBundle {
  /** SHA-256 fingerprints, colon-separated hex as openssl prints them, one per certificate. */
  fingerprints: string[];
}

/**
 * Checks the CA bundle a BYOC customer gives us to verify their endpoint's server certificate:
 * every certificate must parse, be a CA (basicConstraints CA:TRUE) and be valid at `now`
 * (null skips the time check, for reading back what was accepted earlier).
 */
export function inspectCaBundle(pem: string, now: Date | null = new Date()): CaBundle {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new CertificateError('holds no PEM certificate');
  if (blocks.length > 10) throw new CertificateError('holds more than 10 certificates');
  const fingerprints: string[] = [];
  blocks.forEach((block, i) => {
    const which = blocks.length > 1 ? `certificate ${i + 1}` : 'the certificate';
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      throw new CertificateError(`${which} is not a valid X.509 certificate`);
    }
    if (!cert.ca) throw new CertificateError(`${which} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (now && to < now) throw new CertificateError(`${which} expired on ${to.toISOString()}`);
    if (now && from > now) throw new CertificateError(`${which} is not valid before ${from.toISOString()}`);
    fingerprints.push(cert.fingerprint256);
  });
  return { fingerprints };
}

export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** When a certificate stops being valid, as RFC 3339. */
export function certificateNotAfter(pem: string): string {
  return new Date(new X509Certificate(pem).validTo).toISOString();
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  fingerprint: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/**
 * The control plane's client certificate for one Hub: self-signed, clientAuth only, not a CA.
 * The customer's endpoint trusts exactly this certificate, so no Claresia-wide CA can be used
 * to reach it.
 */
export async function issueClientCertificate(tenantId: string, hubId: string, validDays = 397): Promise<IssuedCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive 128-bit serial (RFC 5280 allows up to 20 octets).
    serialNumber: '01' + randomBytes(16).toString('hex'),
    name: `CN=claresia-control-plane ${hubId}, O=Claresia, OU=${tenantId}`,
    // A little slack for a customer clock that runs behind.
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + validDays * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certificatePem = cert.toString('pem');
  const privateKeyPem = KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certificatePem, privateKeyPem, fingerprint: fingerprintOf(certificatePem) };
}
