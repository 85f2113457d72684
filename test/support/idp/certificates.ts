import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

export interface KeyAndCert {
  privateKeyPem: string;
  certificatePem: string;
  /** The certificate body as metadata carries it: base64 DER, no armour. */
  certificateB64: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A fresh RSA key and a self-signed certificate, valid from `notBefore` to `notAfter`. */
export async function selfSigned(cn: string, notBefore = new Date(Date.now() - 3600_000), notAfter = new Date(Date.now() + 365 * 86400_000)): Promise<KeyAndCert> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=${cn}`,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const der = cert.rawData;
  return {
    privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    certificatePem: cert.toString('pem'),
    certificateB64: Buffer.from(der).toString('base64'),
  };
}
