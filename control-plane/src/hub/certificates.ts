// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

// The check is the catalog's, so that terraform plan and a Pulumi preview refuse what this refuses.
export { CaBundleError as CertificateError, inspectCaBundle, type CaBundle } from '@claresia/catalog';

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
