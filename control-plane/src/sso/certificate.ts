import { X509Certificate } from 'node:crypto';
import { MAX_SIGNING_CERTIFICATES, pemCertificates } from '@claresia/catalog';

export type CertificateProblem = 'invalid_certificate' | 'certificate_expired' | 'certificate_not_yet_valid';

// Shared with the plan-time check of Terraform and Pulumi (catalog/src/signing-certificates.ts).
export { MAX_SIGNING_CERTIFICATES };

export class CertificateError extends Error {
  constructor(
    readonly code: CertificateProblem,
    message: string,
  ) {
    super(message);
  }
}

function validity(cert: X509Certificate, now: Date): CertificateError | undefined {
  if (new Date(cert.validTo) <= now) return new CertificateError('certificate_expired', `expired on ${new Date(cert.validTo).toISOString()}`);
  if (new Date(cert.validFrom) > now) return new CertificateError('certificate_not_yet_valid', `is not valid before ${new Date(cert.validFrom).toISOString()}`);
  return undefined;
}

function parse(pem: string, label: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CertificateError('invalid_certificate', `${label}is not a valid X.509 certificate`);
  }
}

/**
 * Checks a bundle of IdP signing certificates (one PEM, or several during a key rollover). Every
 * one must be well-formed and within its validity period: the caller chose each of them, so a
 * bad one is an error, named by position. Text around the PEM blocks (openssl's "subject=" lines)
 * is kept as sent, so the stored value reads back as configured.
 */
export function checkSigningCertificates(bundle: string, now = new Date()): string {
  const blocks = pemCertificates(bundle);
  if (!blocks.length) throw new CertificateError('invalid_certificate', 'must hold a PEM certificate (-----BEGIN CERTIFICATE-----)');
  if (blocks.length > MAX_SIGNING_CERTIFICATES) throw new CertificateError('invalid_certificate', `holds ${blocks.length} certificates; at most ${MAX_SIGNING_CERTIFICATES} are allowed`);
  blocks.forEach((pem, i) => {
    const label = blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length} ` : '';
    const problem = validity(parse(pem, label), now);
    if (problem) throw new CertificateError(problem.code, `${label}${problem.message}`);
  });
  return bundle.trim();
}

/**
 * The signing certificates of IdP metadata that can be used now, as a bundle. Metadata is the
 * IdP's to keep: a retired certificate it still lists is left out rather than refused; only
 * metadata with no usable certificate at all is an error (the first one's problem).
 */
export function usableMetadataCertificates(pems: string[], now = new Date()): string {
  const usable: string[] = [];
  let first: CertificateError | undefined;
  for (const pem of pems) {
    try {
      const problem = validity(parse(pem, ''), now);
      if (problem) throw problem;
      usable.push(pem);
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      first ??= err;
    }
  }
  if (!usable.length) throw first ?? new CertificateError('invalid_certificate', 'has no signing certificate');
  if (usable.length > MAX_SIGNING_CERTIFICATES) throw new CertificateError('invalid_certificate', `lists ${usable.length} usable signing certificates; at most ${MAX_SIGNING_CERTIFICATES} are allowed`);
  return usable.join('\n');
}

/** The certificates of a stored bundle that are within their validity period now (what a login may trust). */
export function currentCertificates(bundle: string, now = new Date()): string[] {
  return pemCertificates(bundle).filter((pem) => {
    try {
      return !validity(new X509Certificate(pem), now);
    } catch {
      return false;
    }
  });
}

const fingerprints = (bundle: string) => new Set(pemCertificates(bundle).map((pem) => new X509Certificate(pem).fingerprint256));

/** Whether `next` trusts every certificate `previous` did, and possibly more. */
export function addsCertificatesOnly(previous: string, next: string): boolean {
  const after = fingerprints(next);
  return [...fingerprints(previous)].every((f) => after.has(f));
}
