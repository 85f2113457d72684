import { caBundleProblem } from './ca-bundle.js';
import { cidrProblem } from './cidr.js';
import { outboundUrlProblem } from './outbound-url.js';
import { signingCertificatesProblem } from './signing-certificates.js';
import type { AttrFormat } from './types.js';

const BEYOND_SCHEMA: Partial<Record<AttrFormat, (value: string) => string | undefined>> = {
  cidr: cidrProblem,
  'outbound-url': outboundUrlProblem,
  'pem-ca-bundle': caBundleProblem,
  'pem-certificate': signingCertificatesProblem,
};

/**
 * What the API checks of a value of this format beyond its JSON Schema (a CIDR's host bits, an
 * outbound URL's scheme for its address, a CA bundle's certificates, how many signing
 * certificates a bundle holds), in the words every client reports it with; undefined
 * when it takes the value. Terraform's plan and Pulumi's Check both ask here.
 */
export function formatProblemBeyondSchema(format: AttrFormat, value: string): string | undefined {
  return BEYOND_SCHEMA[format]?.(value);
}
