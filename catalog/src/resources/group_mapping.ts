import type { ResourceDef } from '../types.js';
import { ARCHETYPES } from './skill_entitlement.js';

/** Tenant roles, from most to least privileged; a user holding several gets the highest. */
export const ROLES = ['tenant_admin', 'auditor', 'member'] as const;

/** IdP groups whose name starts with this (case-insensitive) are RBAC groups. */
export const RBAC_GROUP_PREFIX = 'claresia-';
/**
 * The prefix in any case and at least one more character: names are compared case-insensitively.
 * Spelled without flags, since JSON Schema, Terraform's RE2 and JavaScript all read it.
 */
export const RBAC_GROUP_PATTERN = `^${[...RBAC_GROUP_PREFIX].map((c) => (/[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : c)).join('')}.`;

export const groupMapping: ResourceDef = {
  name: 'group_mapping',
  title: 'GroupMapping',
  description:
    'Maps an IdP group provisioned over SCIM (its name starts with `claresia-`) to a Claresia role (tenant_admin, auditor ' +
    'or member), optionally with an archetype grant: members of the group receive that archetype\'s skills on top of their ' +
    "roster archetype. A user's role is the highest role of their groups, read on every API call. Every tenant starts with " +
    'claresia-admins → tenant_admin, claresia-auditors → auditor, claresia-users → member and claresia-eng-pilot → member ' +
    'with the eng grant; they can be changed or deleted like any mapping. To manage one of them (or any mapping made outside ' +
    'Terraform or Pulumi), import it by its id (GET /api/v1/identity/group-mappings lists them): a create for a group that is mapped ' +
    'already is refused, naming the existing mapping, and the error gives the import block (Terraform) or the `import` resource ' +
    'option (Pulumi) to adopt it instead. Once a tenant\'s directory has any `claresia-*` ' +
    'group, a user in none of the mapped groups has no access (sessions revoked, no skills published); a tenant without ' +
    '`claresia-*` groups keeps roster-based access (every active user is a member). A group that the IdP has not pushed yet may be mapped.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/identity/group-mappings' },
    read: { method: 'GET', path: '/api/v1/identity/group-mappings/{id}' },
    update: { method: 'PATCH', path: '/api/v1/identity/group-mappings/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/identity/group-mappings/{id}' },
    list: { method: 'GET', path: '/api/v1/identity/group-mappings' },
  },
  importId: { format: '{id}', example: 'gm_3f9a0c1d7e2b4a58', idPrefix: 'gm', what: "the mapping's id (gm_..., listed by GET /api/v1/identity/group-mappings), not the group name" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Mapping id.' },
    group: {
      type: 'string',
      mode: 'required',
      format: 'rbac-group',
      maxLength: 256,
      normalize: 'lowercase',
      description:
        'The IdP group name (SCIM displayName), starting with `claresia-`; compared case-insensitively and stored lowercased. One mapping per group.',
      example: 'claresia-data-pilot',
    },
    role: {
      type: 'string',
      mode: 'required',
      enum: ROLES,
      description: 'tenant_admin (everything in the tenant), auditor (reads and governance events) or member (only their own data).',
      example: 'member',
    },
    archetype: {
      type: 'string',
      mode: 'optional',
      enum: ARCHETYPES,
      description: "An archetype whose skills the group's members receive in addition to their roster archetype's.",
      example: 'data',
    },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
    updated_at: { type: 'string', mode: 'computed', format: 'date-time', derivedFrom: ['group', 'role', 'archetype'], description: 'Last change (RFC 3339).' },
  },
  terraformExample: `resource "claresia_group_mapping" "data_pilot" {
  group     = "claresia-data-pilot"
  role      = "member"
  archetype = "data"
}`,
};
