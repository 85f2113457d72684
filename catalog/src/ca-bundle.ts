import { X509Certificate } from 'node:crypto';
import { pemCertificates } from './pem.js';

/** Why a CA bundle is refused; the message is shown after the field name. */
export class CaBundleError extends Error {}

export interface CaBundle {
  /** SHA-256 fingerprints, colon-separated hex as openssl prints them, one per certificate. */
  fingerprints: string[];
}

/**
 * Checks a CA bundle a customer gives to verify their endpoint's server certificate: every
 * certificate must parse, be a CA (basicConstraints CA:TRUE) and be valid at `now` (null skips
 * the time check, for reading back what was accepted earlier). Here rather than in the API so
 * that `terraform plan` and a Pulumi preview refuse what it refuses, in its words.
 */
export function inspectCaBundle(pem: string, now: Date | null = new Date()): CaBundle {
  const blocks = pemCertificates(pem);
  if (blocks.length === 0) throw new CaBundleError('holds no PEM certificate');
  if (blocks.length > 10) throw new CaBundleError('holds more than 10 certificates');
  const fingerprints: string[] = [];
  blocks.forEach((block, i) => {
    const which = blocks.length > 1 ? `certificate ${i + 1}` : 'the certificate';
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      throw new CaBundleError(`${which} is not a valid X.509 certificate`);
    }
    if (!cert.ca) throw new CaBundleError(`${which} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (now && to < now) throw new CaBundleError(`${which} expired on ${to.toISOString()}`);
    if (now && from > now) throw new CaBundleError(`${which} is not valid before ${from.toISOString()}`);
    fingerprints.push(cert.fingerprint256);
  });
  return { fingerprints };
}

/**
 * The plan-time form of the API's check: undefined when the bundle is well formed. The dates are
 * left to the API, which judges them when the bundle is given or changed: Terraform validates
 * the whole configuration on every plan, so a date check here would stop every plan, apply and
 * destroy of a workspace the day a CA in an unchanged bundle expires.
 */
export function caBundleProblem(pem: string): string | undefined {
  try {
    inspectCaBundle(pem, null);
    return undefined;
  } catch (err) {
    if (err instanceof CaBundleError) return `must hold only CA certificates: ${err.message}`;
    throw err;
  }
}
