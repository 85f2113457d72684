import type { ResourceDef } from '../types.js';

/** The SAML settings the API reads from metadata when metadata_url or metadata_xml is given. */
const FROM_METADATA = ['metadata_url', 'metadata_xml'] as const;
/** Any change of these makes a tested connection untested again. */
const MANUAL_SAML = ['idp_sso_url', 'idp_certificate', 'idp_entity_id'] as const;
const SAML = [...FROM_METADATA, ...MANUAL_SAML] as const;
const OIDC = ['discovery_url', 'client_id', 'client_secret'] as const;
const IDP_SETTINGS = [...SAML, ...OIDC] as const;

export const ssoConnection: ResourceDef = {
  name: 'sso_connection',
  title: 'SsoConnection',
  description:
    'Single sign-on for the tenant (runbook step 4): SAML 2.0 from a metadata URL, uploaded metadata XML, or an ' +
    'IdP SSO URL plus X.509 certificate and entity ID; or OpenID Connect from a discovery URL plus client id and ' +
    'secret. Returns the ACS URL (SAML) or redirect URI (OIDC) and the SP entity ID to register at the IdP. ' +
    'Status turns green after a successful test login (POST .../{id}/test).',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/identity/sso/configure' },
    read: { method: 'GET', path: '/api/v1/identity/sso/connections/{id}' },
    update: { method: 'PATCH', path: '/api/v1/identity/sso/connections/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/identity/sso/connections/{id}' },
    list: { method: 'GET', path: '/api/v1/identity/sso/connections' },
  },
  importId: { format: '{id}', example: 'sso_5e1f0a2b3c4d5e6f', idPrefix: 'sso', what: "the SSO connection's id (sso_...), not its name" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Connection id.' },
    name: {
      type: 'string',
      mode: 'required',
      minLength: 1,
      maxLength: 200,
      normalize: 'trim',
      description: 'Name shown in the portal.',
      example: 'Okta',
    },
    protocol: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ['saml', 'oidc'],
      description: 'saml or oidc.',
      example: 'saml',
    },
    metadata_url: {
      type: 'string',
      mode: 'optional',
      format: 'outbound-url',
      maxLength: 2000,
      description: 'SAML: https URL of the IdP metadata; fetched when the connection is created or changed.',
    },
    metadata_xml: {
      type: 'string',
      mode: 'optional',
      maxLength: 512 * 1024,
      description: 'SAML: the IdP metadata document itself.',
    },
    idp_sso_url: {
      type: 'string',
      mode: 'optional_computed',
      derivedFrom: FROM_METADATA,
      format: 'outbound-url',
      maxLength: 2000,
      description: 'SAML: the IdP single sign-on URL (HTTP-Redirect binding). Read from the metadata when one is given.',
    },
    idp_certificate: {
      type: 'string',
      mode: 'optional_computed',
      derivedFrom: FROM_METADATA,
      format: 'pem-certificate',
      maxLength: 16 * 1024,
      normalize: 'trim',
      description:
        'SAML: the PEM X.509 certificate the IdP signs assertions with, or up to 4 of them one after the other while the IdP ' +
        'rolls its key over (an assertion signed with any of them is accepted). Each must be within its validity period. ' +
        'Read from the metadata when one is given: every signing certificate it lists that is currently valid. Adding a ' +
        'certificate to a green connection keeps it green; any other change of IdP settings sets it untested until the next ' +
        'test login and revokes the user sessions it issued.',
    },
    idp_entity_id: {
      type: 'string',
      mode: 'optional_computed',
      derivedFrom: FROM_METADATA,
      minLength: 1,
      maxLength: 1000,
      normalize: 'trim',
      description: 'SAML: the IdP entity ID (the expected Issuer). Read from the metadata when one is given.',
    },
    discovery_url: {
      type: 'string',
      mode: 'optional',
      format: 'outbound-url',
      maxLength: 2000,
      description: 'OIDC: https URL of the issuer or its /.well-known/openid-configuration document.',
    },
    client_id: {
      type: 'string',
      mode: 'optional',
      minLength: 1,
      maxLength: 500,
      description: 'OIDC: client id registered at the IdP.',
    },
    client_secret: {
      type: 'string',
      mode: 'optional',
      sensitive: true,
      writeOnly: true,
      minLength: 1,
      maxLength: 2000,
      description: 'OIDC: client secret; stored encrypted, never returned.',
    },
    acs_url: {
      type: 'string',
      mode: 'computed',
      description: 'SAML Assertion Consumer Service URL, or the OIDC redirect URI, to register at the IdP.',
    },
    audience_uri: { type: 'string', mode: 'computed', description: 'SP entity ID (audience URI) to register at the IdP.' },
    status: {
      type: 'string',
      mode: 'computed',
      derivedFrom: IDP_SETTINGS,
      description: 'untested until a test login succeeds, then green; a change of IdP settings makes it untested again.',
    },
    last_tested_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Time of the last successful test login.' },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
  },
  rules: [
    { kind: 'forbidden_when', attributes: OIDC, when: { protocol: ['saml'] }, message: '{attribute} does not apply to protocol saml' },
    { kind: 'forbidden_when', attributes: SAML, when: { protocol: ['oidc'] }, message: '{attribute} does not apply to protocol oidc' },
    { kind: 'required_when', attributes: OIDC, when: { protocol: ['oidc'] }, message: '{attribute} is required for protocol oidc' },
    // Checked before the next rule, so that a request with both is refused on metadata_xml, as the API always has.
    { kind: 'conflicts_with', attributes: ['metadata_xml'], with: ['metadata_url'], message: 'give metadata_url or metadata_xml, not both' },
    { kind: 'conflicts_with', attributes: ['metadata_url'], with: ['metadata_xml'], message: 'give metadata_url or metadata_xml, not both' },
    // The API reads these from the metadata; a value of the caller's own next to it would be ambiguous.
    { kind: 'conflicts_with', attributes: MANUAL_SAML, with: FROM_METADATA, message: '{attribute} is read from the metadata; leave it out when metadata_url or metadata_xml is given' },
    {
      kind: 'required_when',
      attributes: MANUAL_SAML,
      when: { protocol: ['saml'], metadata_url: 'unset', metadata_xml: 'unset' },
      message: '{attribute} is required for protocol saml without metadata_url or metadata_xml',
    },
  ],
  terraformExample: `resource "claresia_sso_connection" "okta" {
  name         = "Okta"
  protocol     = "saml"
  metadata_url = "https://acme.okta.com/app/exk1a2b3c4/sso/saml/metadata"
}`,
};
