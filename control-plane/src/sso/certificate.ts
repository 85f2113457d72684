import { X509Certificate } from 'node:crypto';

export type CertificateProblem = 'invalid_certificate' | 'certificate_expired' | 'certificate_not_yet_valid';

export class CertificateError extends Error {
  constructor(
    readonly code: CertificateProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a PEM certificate and refuses one that is malformed or outside its validity period. */
export function checkSigningCertificate(pem: string, now = new Date()): X509Certificate {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length !== 1) throw new CertificateError('invalid_certificate', 'must hold exactly one PEM certificate');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch {
    throw new CertificateError('invalid_certificate', 'is not a valid X.509 certificate');
  }
  if (new Date(cert.validTo) <= now) throw new CertificateError('certificate_expired', `expired on ${new Date(cert.validTo).toISOString()}`);
  if (new Date(cert.validFrom) > now) throw new CertificateError('certificate_not_yet_valid', `is not valid before ${new Date(cert.validFrom).toISOString()}`);
  return cert;
}
