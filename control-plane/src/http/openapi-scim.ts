import type { JsonSchema } from '@claresia/catalog';
import { commonAttributes, GROUP_TYPE, USER_TYPE, type ResourceTypeDef, type ScimAttr } from '../scim/schema.js';

/**
 * The answers of the SCIM endpoint for the OpenAPI document. Users and Groups are derived from
 * the SCIM schemas the server serves at /Schemas and validates bodies with (scim/schema.ts), so
 * the two cannot tell different stories; the discovery documents follow RFC 7643 §5-§7.
 */

const strings: JsonSchema = { type: 'array', items: { type: 'string' } };

function scalar(a: ScimAttr): JsonSchema {
  if (a.type === 'boolean') return { type: 'boolean' };
  if (a.type === 'dateTime') return { type: 'string', format: 'date-time' };
  if (a.type === 'complex') return { type: 'object', properties: properties(a.subAttributes ?? []) };
  // canonicalValues are suggestions (RFC 7643 §2.3.1): an IdP may send other values, kept as sent.
  return { type: 'string' };
}

function attribute(a: ScimAttr): JsonSchema {
  const one = scalar(a);
  return a.multiValued ? { type: 'array', items: one, description: a.description } : { ...one, description: a.description };
}

function properties(attrs: readonly ScimAttr[]): Record<string, JsonSchema> {
  return Object.fromEntries(attrs.filter((a) => a.returned !== 'never').map((a) => [a.name, attribute(a)]));
}

/** A User or Group as this server returns it: its core attributes, the common ones, and each extension under its URN. */
function resource(type: ResourceTypeDef): JsonSchema {
  return {
    type: 'object',
    description: type.core.description,
    required: ['schemas', 'id'],
    properties: {
      schemas: strings,
      ...properties(commonAttributes),
      ...properties(type.core.attributes),
      ...Object.fromEntries(type.extensions.map((e) => [e.id, { type: 'object', description: e.description, properties: properties(e.attributes) }])),
    },
  };
}

export const scimUser = resource(USER_TYPE);
export const scimGroup = resource(GROUP_TYPE);

const meta: JsonSchema = { type: 'object', properties: { resourceType: { type: 'string' }, location: { type: 'string' } } };
const supported = (extra: Record<string, JsonSchema> = {}): JsonSchema => ({
  type: 'object',
  required: ['supported'],
  properties: { supported: { type: 'boolean' }, ...extra },
});

/** RFC 7643 §5: what the endpoint does and does not do. */
export const scimServiceProviderConfig: JsonSchema = {
  type: 'object',
  required: ['schemas', 'patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag', 'authenticationSchemes'],
  properties: {
    schemas: strings,
    patch: supported(),
    bulk: supported({ maxOperations: { type: 'integer' }, maxPayloadSize: { type: 'integer' } }),
    filter: supported({ maxResults: { type: 'integer' } }),
    changePassword: supported(),
    sort: supported(),
    etag: supported(),
    authenticationSchemes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'name', 'description'],
        properties: { type: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, specUri: { type: 'string' }, primary: { type: 'boolean' } },
      },
    },
    meta,
  },
};

/** An attribute definition in a Schema resource (RFC 7643 §7), sub-attributes nested alike. */
const attributeDefinition: JsonSchema = {
  type: 'object',
  required: ['name', 'type', 'multiValued'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'] },
    multiValued: { type: 'boolean' },
    description: { type: 'string' },
    required: { type: 'boolean' },
    caseExact: { type: 'boolean' },
    mutability: { type: 'string', enum: ['readOnly', 'readWrite', 'immutable', 'writeOnly'] },
    returned: { type: 'string', enum: ['always', 'never', 'default', 'request'] },
    uniqueness: { type: 'string', enum: ['none', 'server', 'global'] },
    canonicalValues: strings,
    referenceTypes: strings,
    subAttributes: { type: 'array', items: { $ref: '#/components/schemas/ScimAttributeDefinition' } },
  },
};

/** Component schemas the SCIM answers refer to (the attribute definition refers to itself). */
export const scimComponents: Record<string, JsonSchema> = { ScimAttributeDefinition: attributeDefinition };

/** RFC 7643 §7: one of the schemas at /Schemas. */
export const scimSchemaResource: JsonSchema = {
  type: 'object',
  required: ['schemas', 'id', 'attributes'],
  properties: {
    schemas: strings,
    id: { type: 'string', description: 'The schema URN' },
    name: { type: 'string' },
    description: { type: 'string' },
    attributes: { type: 'array', items: { $ref: '#/components/schemas/ScimAttributeDefinition' } },
    meta,
  },
};

/** RFC 7643 §6: one of the resource types at /ResourceTypes. */
export const scimResourceType: JsonSchema = {
  type: 'object',
  required: ['schemas', 'id', 'name', 'endpoint', 'schema'],
  properties: {
    schemas: strings,
    id: { type: 'string' },
    name: { type: 'string' },
    endpoint: { type: 'string' },
    description: { type: 'string' },
    schema: { type: 'string', description: 'The URN of its core schema' },
    schemaExtensions: { type: 'array', items: { type: 'object', required: ['schema', 'required'], properties: { schema: { type: 'string' }, required: { type: 'boolean' } } } },
    meta,
  },
};
