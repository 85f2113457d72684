/**
 * A Mode A tenant and its onboarding as one CDKTF stack: the operator creates the tenant; a second
 * provider signs in as the tenant's first service account (known only once the tenant exists)
 * and manages SAML SSO, a SCIM directory for Okta, a Claude connector and the Hub.
 */
import { TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import * as claresia from '../../provider/cdktf/providers/claresia/index.js';

export interface TenantStackProps {
  slug: string;
  /** Written into both provider blocks; left out, the provider reads CLARESIA_ENDPOINT when terraform runs. */
  endpoint?: string;
  idp: { ssoUrl: string; entityId: string; certificatePem: string };
}

export class TenantStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: TenantStackProps) {
    super(scope, id);

    // No token here: the operator token comes from CLARESIA_TOKEN when terraform runs, so it is
    // never written into the synthesized JSON.
    new claresia.provider.ClaresiaProvider(this, 'operator', { endpoint: props.endpoint });

    // Write-only attribute: Terraform sends it and keeps it out of state; TF_VAR_anthropic_key.
    const anthropicKey = new TerraformVariable(this, 'anthropic_key', {
      type: 'string',
      sensitive: true,
      description: 'Anthropic admin API key for the Claude connector.',
    });

    const tenant = new claresia.tenant.Tenant(this, 'tenant', {
      slug: props.slug,
      displayName: 'Acme Corp',
      region: 'eu-west-1',
      deploymentMode: 'A',
      billingContact: `billing@${props.slug}.example`,
    });

    // Credentials in a provider block replace the environment's, so this one is the tenant alone.
    const inTenant = new claresia.provider.ClaresiaProvider(this, 'in_tenant', {
      alias: 'tenant',
      endpoint: props.endpoint,
      clientId: tenant.clientId,
      clientSecret: tenant.clientSecret,
    });

    const sso = new claresia.ssoConnection.SsoConnection(this, 'okta_sso', {
      provider: inTenant,
      name: 'Okta',
      protocol: 'saml',
      idpSsoUrl: props.idp.ssoUrl,
      idpEntityId: props.idp.entityId,
      idpCertificate: props.idp.certificatePem,
    });

    const scim = new claresia.scimDirectory.ScimDirectory(this, 'okta_scim', { provider: inTenant, idp: 'okta' });

    const claude = new claresia.llmConnector.LlmConnector(this, 'claude', {
      provider: inTenant,
      platform: 'claude',
      name: 'Claude for Acme',
      credential: anthropicKey.stringValue,
      credentialWoVersion: 1,
    });

    const hub = new claresia.hub.Hub(this, 'hub', { provider: inTenant, mode: 'A', timeouts: { create: '10m' } });

    // Its provider's credentials are unknown while planning the first run, so it is read during
    // apply, after what it reports on.
    const health = new claresia.dataClaresiaTenantHealth.DataClaresiaTenantHealth(this, 'health', {
      provider: inTenant,
      dependsOn: [hub, sso, scim, claude],
    });

    new TerraformOutput(this, 'tenant_id', { value: tenant.id });
    new TerraformOutput(this, 'hub_status', { value: hub.status });
    new TerraformOutput(this, 'acs_url', { value: sso.acsUrl });
    new TerraformOutput(this, 'audience_uri', { value: sso.audienceUri });
    new TerraformOutput(this, 'scim_endpoint_url', { value: scim.endpointUrl });
    // Give it to Okta once: `terraform output -raw scim_bearer_token`.
    new TerraformOutput(this, 'scim_bearer_token', { value: scim.bearerToken, sensitive: true });
    new TerraformOutput(this, 'health_checks', { value: health.checks });
  }
}
