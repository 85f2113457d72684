import type { ResourceDef } from '../types.js';

export const tenant: ResourceDef = {
  name: 'tenant',
  title: 'Tenant',
  description:
    'An enterprise customer of Claresia. Created by an operator; its first service account ' +
    'credentials are returned once, at creation.',
  auth: 'operator',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/tenants' },
    read: { method: 'GET', path: '/api/v1/tenants/{id}' },
    update: { method: 'PATCH', path: '/api/v1/tenants/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/tenants/{id}' },
    list: { method: 'GET', path: '/api/v1/tenants' },
  },
  importId: { format: '{id}', example: 'tnt_3f9a1c2e7b5d4a60', idPrefix: 'tnt', what: "the tenant's id (tnt_...), not its slug" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Tenant id.' },
    slug: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      pattern: '^[a-z][a-z0-9-]{1,61}[a-z0-9]$',
      description: 'Short unique name: lowercase letters, digits and hyphens, 3 to 63 characters.',
      example: 'acme',
    },
    display_name: {
      type: 'string',
      mode: 'required',
      minLength: 1,
      maxLength: 200,
      normalize: 'trim',
      description: 'Name shown in the portal.',
      example: 'Acme Corp',
    },
    region: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1'],
      description: 'Data residency region; fixed for the life of the tenant.',
      example: 'eu-west-1',
    },
    deployment_mode: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ['A', 'B', 'C'],
      description: 'Hub deployment mode: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mTLS).',
      example: 'B',
    },
    billing_contact: {
      type: 'string',
      mode: 'required',
      format: 'email',
      normalize: 'lowercase',
      maxLength: 254,
      description: 'Email address that receives invoices.',
      example: 'billing@acme.example',
    },
    support_tier: {
      type: 'string',
      mode: 'optional_computed',
      enum: ['standard', 'premium', 'enterprise'],
      default: 'standard',
      description: 'Support plan.',
    },
    status: {
      type: 'string',
      mode: 'computed',
      description: 'onboarding until the first skill invocation, then live; offboarded once deleted.',
    },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
    client_id: {
      type: 'string',
      mode: 'computed',
      description: "Client id of the tenant's first service account.",
    },
    client_secret: {
      type: 'string',
      mode: 'computed',
      sensitive: true,
      returnedOnce: true,
      description:
        "Client secret of the tenant's first service account; returned only at creation. Terraform and Pulumi never rotate it, and cannot tell " +
        'when it was rotated outside them (POST /api/v1/tenants/{id}/client-secret:rotate, or the service account\'s own secret:rotate): the ' +
        "tenant's API answer has no rotation time, so state keeps the old secret, with no diff and no warning. It signs in until that rotation's " +
        'overlap ends (secret_overlap_seconds, 24 h by default; at once with 0) and is refused from then on, also where the configuration passes it on ' +
        "(a provider block for the tenant's objects). After such a rotation, pass those the secret it returned, from where you keep it (a variable, a " +
        'secret store), instead of this attribute. Replacing the tenant is no way to a new one: deleting it offboards the tenant.',
    },
  },
  terraformExample: `resource "claresia_tenant" "acme" {
  slug            = "acme"
  display_name    = "Acme Corp"
  region          = "eu-west-1"
  deployment_mode = "B"
  billing_contact = "billing@acme.example"
  support_tier    = "enterprise"
}`,
};
