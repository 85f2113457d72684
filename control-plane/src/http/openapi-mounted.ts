import type { JsonSchema } from '@claresia/catalog';
import { scimGroup, scimResourceType, scimSchemaResource, scimServiceProviderConfig, scimUser } from './openapi-scim.js';
import { SSO_IDP_ANSWER } from './openapi-sso.js';

/**
 * The operations of the routes mounted beside the API router (they have rules of their own and
 * so no RouteSpec): the SCIM 2.0 endpoint of each directory and the OIDC callback. Kept next to
 * the document's other HTTP facts; test/control-plane/openapi.test.ts drives each one.
 */

const SCIM_JSON = 'application/scim+json';
/** A User or Group sent in: the SCIM schemas (scim/schema.ts) judge it, in SCIM's own error words. */
const scimBody: JsonSchema = { type: 'object', required: ['schemas'], properties: { schemas: { type: 'array', items: { type: 'string' } }, id: { type: 'string' } } };
/** RFC 7644 §3.4.2: a page of `item`s. */
const scimList = (item: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['schemas', 'totalResults', 'Resources'],
  properties: {
    schemas: { type: 'array', items: { type: 'string' } },
    totalResults: { type: 'integer' },
    itemsPerPage: { type: 'integer' },
    startIndex: { type: 'integer' },
    Resources: { type: 'array', items: item },
  },
});
const scimError: JsonSchema = {
  type: 'object',
  required: ['schemas', 'status'],
  properties: { schemas: { type: 'array', items: { type: 'string' } }, status: { type: 'string' }, scimType: { type: 'string' }, detail: { type: 'string' } },
};
const directory = { name: 'directory_id', in: 'path', required: true, schema: { type: 'string' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const searchQuery = [
  { name: 'filter', in: 'query', schema: { type: 'string' }, description: 'RFC 7644 §3.4.2.2 filter' },
  { name: 'startIndex', in: 'query', schema: { type: 'integer', minimum: 1 } },
  { name: 'count', in: 'query', schema: { type: 'integer', minimum: 0 } },
  { name: 'attributes', in: 'query', schema: { type: 'string' } },
  { name: 'excludedAttributes', in: 'query', schema: { type: 'string' } },
];
const ifMatch = { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag (meta.version) the change applies to' };

function scimOp(summary: string, params: unknown[], ok: Record<string, JsonSchema | null>, body?: JsonSchema): JsonSchema {
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(ok)) {
    responses[status] = schema ? { description: 'OK', content: { [SCIM_JSON]: { schema } } } : { description: 'No content' };
  }
  responses.default = { description: 'Error, in the SCIM error schema', content: { [SCIM_JSON]: { schema: scimError } } };
  return {
    summary,
    tags: ['scim'],
    security: [{ scimToken: [] }],
    parameters: [directory, ...params],
    ...(body ? { requestBody: { required: true, content: { [SCIM_JSON]: { schema: body }, 'application/json': { schema: body } } } } : {}),
    responses,
  };
}

function scimResourcePaths(kind: 'Users' | 'Groups'): Record<string, Record<string, JsonSchema>> {
  const answer = kind === 'Users' ? scimUser : scimGroup;
  const base = `/scim/v2/{directory_id}/${kind}`;
  const patch: JsonSchema = { type: 'object', required: ['Operations'], properties: { schemas: { type: 'array', items: { type: 'string' } }, Operations: { type: 'array', items: { type: 'object' } } } };
  const search: JsonSchema = { type: 'object', properties: { filter: { type: 'string' }, startIndex: { type: 'integer' }, count: { type: 'integer' } } };
  return {
    [base]: {
      get: scimOp(`List or filter ${kind}`, searchQuery, { '200': scimList(answer) }),
      post: scimOp(`Create one of the ${kind}`, [], { '201': answer }, scimBody),
    },
    [`${base}/.search`]: { post: scimOp(`Search ${kind} (the filter in the body)`, [], { '200': scimList(answer) }, search) },
    [`${base}/{id}`]: {
      get: scimOp(`Read one of the ${kind}`, [id], { '200': answer }),
      put: scimOp(`Replace one of the ${kind}`, [id, ifMatch], { '200': answer }, scimBody),
      patch: scimOp(`Change one of the ${kind} (RFC 7644 PATCH)`, [id, ifMatch], { '200': answer, '204': null }, patch),
      delete: scimOp(`Delete one of the ${kind}`, [id, ifMatch], { '204': null }),
    },
  };
}

const OIDC_CALLBACK = '/api/v1/identity/sso/connections/{id}/oidc/callback';

export function mountedPaths(): Record<string, Record<string, JsonSchema>> {
  return {
    ...scimResourcePaths('Users'),
    ...scimResourcePaths('Groups'),
    '/scim/v2/{directory_id}/ServiceProviderConfig': { get: scimOp('What this SCIM endpoint supports', [], { '200': scimServiceProviderConfig }) },
    '/scim/v2/{directory_id}/Schemas': { get: scimOp('The schemas of Users and Groups', [], { '200': scimList(scimSchemaResource) }) },
    '/scim/v2/{directory_id}/Schemas/{id}': { get: scimOp('One schema', [id], { '200': scimSchemaResource }) },
    '/scim/v2/{directory_id}/ResourceTypes': { get: scimOp('The resource types', [], { '200': scimList(scimResourceType) }) },
    '/scim/v2/{directory_id}/ResourceTypes/{id}': { get: scimOp('One resource type', [id], { '200': scimResourceType }) },
    [OIDC_CALLBACK]: {
      get: {
        summary:
          "The OIDC redirect URI of a connection: the IdP's answer to a test login (the connection turns green) or a user's sign-in (a user JWT). Opened by the browser.",
        tags: ['sso_connection'],
        security: [],
        parameters: [
          id,
          { name: 'state', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'code', in: 'query', schema: { type: 'string' } },
          { name: 'iss', in: 'query', schema: { type: 'string' } },
          { name: 'error', in: 'query', schema: { type: 'string' } },
          { name: 'error_description', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: 'The test login passed, or the sign-in token', content: { 'application/json': { schema: SSO_IDP_ANSWER } } },
          default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
  };
}
