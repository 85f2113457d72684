import { X509Certificate } from 'node:crypto';
import { pemCertificates } from './pem.js';

/**
 * How many signing certificates an SSO connection trusts at once: an IdP rolling its key over
 * lists the current and the next one (ADFS, Entra ID and Okta publish two), rarely a third.
 */
export const MAX_SIGNING_CERTIFICATES = 4;

/**
 * The plan-time form of the API's check of an IdP signing certificate bundle
 * (control-plane/src/sso/certificate.ts): how many there are and that each parses, in the API's
 * words, so `terraform plan` and a Pulumi preview refuse what apply would. The dates are left to
 * the API for the reason caBundleProblem gives: a plan of an unchanged configuration must not
 * start failing the day a certificate in it expires.
 */
export function signingCertificatesProblem(pem: string): string | undefined {
  const blocks = pemCertificates(pem);
  if (blocks.length > MAX_SIGNING_CERTIFICATES) return `holds ${blocks.length} certificates; at most ${MAX_SIGNING_CERTIFICATES} are allowed`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `${blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length} ` : ''}is not a valid X.509 certificate`;
    }
  }
  return undefined;
}
