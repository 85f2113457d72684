import type { ResourceDef } from '../types.js';

export const scimDirectory: ResourceDef = {
  name: 'scim_directory',
  title: 'ScimDirectory',
  description:
    'A SCIM 2.0 directory (runbook step 5): the endpoint an IdP (Okta, Entra ID, Google Workspace, OneLogin, ' +
    'JumpCloud, Keycloak) provisions users and groups into. Returns the endpoint URL and a bearer token shown once ' +
    '(at creation and at POST .../{id}/token:rotate); the token is stored hashed. An optional IP allowlist of CIDRs ' +
    'restricts which addresses may call the endpoint.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/identity/scim/configure' },
    read: { method: 'GET', path: '/api/v1/identity/scim/directories/{id}' },
    update: { method: 'PATCH', path: '/api/v1/identity/scim/directories/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/identity/scim/directories/{id}' },
    list: { method: 'GET', path: '/api/v1/identity/scim/directories' },
  },
  importId: { format: '{id}', example: 'scim_7c1e4a9b2d3f5e60', idPrefix: 'scim', what: "the SCIM directory's id (scim_...), as in its endpoint URL" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Directory id (scim_...), the last segment of endpoint_url.' },
    directory_id: {
      type: 'string',
      mode: 'computed',
      description: "The same value as id, under the name the onboarding runbook uses (its scripts read directory_id from the configure answer).",
    },
    idp: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ['okta', 'entra', 'google', 'onelogin', 'jumpcloud', 'keycloak'],
      description: 'The identity provider that provisions into this directory; recorded as the actor `<idp>:scim`.',
      example: 'okta',
    },
    ip_allowlist: {
      type: { set: 'string' },
      mode: 'optional_computed',
      default: [],
      maxItems: 100,
      format: 'cidr',
      normalize: 'sorted_set',
      description:
        'CIDRs (IPv4 or IPv6, host bits zero, e.g. 203.0.113.0/24) allowed to call the SCIM endpoint; empty allows any address.',
      example: ['203.0.113.0/24'],
    },
    endpoint_url: { type: 'string', mode: 'computed', description: 'The SCIM 2.0 base URL to give the IdP.' },
    bearer_token: {
      type: 'string',
      mode: 'computed',
      sensitive: true,
      returnedOnce: true,
      rotation: {
        rotatedAt: 'token_rotated_at',
        previousExpiresAt: 'previous_token_expires_at',
        path: '/api/v1/identity/scim/directories/{id}/token:rotate',
        replacing: 'the new directory has a new endpoint URL to give the IdP, and deleting this one de-provisions every user it provisioned',
      },
      description:
        'The bearer token the IdP authenticates with; returned at creation and rotation only, stored hashed. Terraform and Pulumi never rotate it. ' +
        'A rotation outside them (POST /api/v1/identity/scim/directories/{id}/token:rotate) shows the new token to its caller only: the next refresh ' +
        'sees token_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of keeping a ' +
        'dead token (one replaced with token_overlap_seconds works until previous_token_expires_at). The working token is the one that rotation ' +
        'returned; Terraform or Pulumi hold a token again only by creating the directory again (replace), which gives a new endpoint_url and ' +
        'de-provisions every user the old directory provisioned.',
    },
    token_rotated_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When the current token was issued.' },
    previous_token_expires_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description:
        'While the token replaced by the last rotation still works beside the current one (POST .../{id}/token:rotate with ' +
        'token_overlap_seconds above 0), when it stops (RFC 3339); null otherwise.',
    },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
  },
  terraformExample: `resource "claresia_scim_directory" "okta" {
  idp          = "okta"
  ip_allowlist = ["203.0.113.0/24"]
}`,
};
