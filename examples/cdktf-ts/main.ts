/**
 * `npx tsx main.ts` synthesizes the stack to cdktf.out/stacks/tenant/cdk.tf.json (CDKTF_OUTDIR
 * moves it); plain `terraform` applies that. Settings are read from the environment here, at
 * synth time; credentials are not: terraform reads them when it runs.
 */
import { readFileSync } from 'node:fs';
import { App } from 'cdktf';
import { TenantStack } from './tenant-stack.js';

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (!value) throw new Error(`${name} is not set (see README.md)`);
  return value;
}

function certificate(): string {
  const file = setting('IDP_CERTIFICATE_FILE');
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`IDP_CERTIFICATE_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`IDP_CERTIFICATE_FILE: ${file} holds no PEM certificate`);
  return pem;
}

const app = new App();
new TenantStack(app, 'tenant', {
  slug: setting('TENANT_SLUG', 'acme'),
  endpoint: process.env.CLARESIA_ENDPOINT || undefined,
  idp: {
    ssoUrl: setting('IDP_SSO_URL', 'https://acme.okta.com/app/acme_claresia/exk1a2b3c4/sso/saml'),
    entityId: setting('IDP_ENTITY_ID', 'http://www.okta.com/exk1a2b3c4'),
    certificatePem: certificate(),
  },
});
app.synth();
