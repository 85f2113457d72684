import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { bitString, boolean, explicit, implicit, integer, octetString, oid, sequence, set, utcTime, utf8String } from './der.js';

export interface ServerCertificate {
  /** DER of the certificate: its base64 goes into the handshake line. */
  der: Buffer;
  certPem: string;
  keyPem: string;
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/**
 * A fresh self-signed ECDSA P-256 certificate for `localhost`, as go-plugin's AutoMTLS expects
 * of a plugin: the CA bit set (Terraform pins it as the only root), server and client usages.
 * It lives only as long as this process.
 */
export function generateServerCertificate(now = new Date()): ServerCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(
    set(sequence(oid('2.5.4.10'), utf8String('Claresia'))),
    set(sequence(oid('2.5.4.3'), utf8String('localhost'))),
  );
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + 7 * 24 * 3600_000);
  const extensions = sequence(
    extension('2.5.29.19', true, sequence(boolean(true))), // basicConstraints: CA
    // keyUsage: digitalSignature, keyEncipherment, keyAgreement, keyCertSign.
    extension('2.5.29.15', true, bitString(Buffer.from([0xac]), 2)),
    extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
    extension('2.5.29.17', false, sequence(implicit(2, Buffer.from('localhost', 'ascii')), implicit(7, Buffer.from([127, 0, 0, 1])))),
  );
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  const b64 = der.toString('base64');
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  return { der, certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
