/**
 * A Mode B tenant: the operator creates the tenant; everything inside it is managed with the
 * tenant's own first service account (its client secret stays a secret end to end), starting
 * with the dedicated Hub and its customer-managed key.
 */
import * as pulumi from '@pulumi/pulumi';
import * as claresia from '@claresia/pulumi';

const config = new pulumi.Config();
const claresiaConfig = new pulumi.Config('claresia');

// Uses the default provider: claresia:endpoint and claresia:token (an operator token).
export const tenant = new claresia.Tenant('acme', {
  slug: config.get('slug') ?? 'acme',
  displayName: 'Acme Corp',
  region: 'eu-west-1',
  deploymentMode: 'B',
  billingContact: 'billing@acme.example',
  supportTier: 'enterprise',
});

// Everything inside the tenant: its first service account, exchanged for short-lived JWTs.
const acme = new claresia.Provider('acme', {
  endpoint: claresiaConfig.get('endpoint'),
  clientId: tenant.clientId,
  clientSecret: tenant.clientSecret,
});
const inTenant = { provider: acme };

// Mode B: a dedicated Hub in the tenant's region; the control plane creates its CMEK key.
export const hub = new claresia.Hub('acme', { mode: 'B', region: tenant.region }, inTenant);

export const sso = new claresia.SsoConnection(
  'okta',
  { name: 'Okta', protocol: 'saml', metadataUrl: config.get('oktaMetadataUrl') ?? 'https://acme.okta.com/app/exk1a2b3c4/sso/saml/metadata' },
  inTenant,
);

export const scim = new claresia.ScimDirectory('okta', { idp: 'okta' }, inTenant);

export const claude = new claresia.LlmConnector(
  'claude',
  { platform: 'claude', name: 'Claude for Acme', credential: config.requireSecret('claudeApiKey') },
  { ...inTenant, dependsOn: [hub] },
);

export const sales = new claresia.SkillEntitlement('sales', { archetype: 'sales', skills: ['claresia.gatespic.call-recap', 'claresia.gatespic.deal-desk', 'claresia.core.meeting-notes'] }, { ...inTenant, dependsOn: [hub] });

export const tenantId = tenant.id;
export const hubStatus = hub.status;
export const cmekKeyId = hub.cmekKeyId;
export const acsUrl = sso.acsUrl;
export const audienceUri = sso.audienceUri;
export const scimEndpointUrl = scim.endpointUrl;
/** Give it to the IdP once; it is a secret in the stack's outputs. */
export const scimBearerToken = scim.bearerToken;
