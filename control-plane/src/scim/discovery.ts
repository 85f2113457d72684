import { scimNotFound } from './errors.js';
import { ALL_SCHEMAS, GROUP_TYPE, LIST_RESPONSE, USER_TYPE, type ScimAttr, type ScimSchema } from './schema.js';

/** The discovery endpoints (RFC 7644 §4), saying exactly what this server does and does not do. */

export const MAX_RESULTS = 1000;

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Directory bearer token',
        description: 'The bearer token of this SCIM directory, shown when it is configured or rotated.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

function renderAttr(a: ScimAttr): Record<string, unknown> {
  const { check: _check, unbounded: _unbounded, subAttributes, ...rest } = a;
  return { ...rest, ...(subAttributes ? { subAttributes: subAttributes.map(renderAttr) } : {}) };
}

function renderSchema(s: ScimSchema, baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.filter((a) => a.name !== 'password').map(renderAttr),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  };
}

export function schemas(baseUrl: string) {
  const all = ALL_SCHEMAS.map((s) => renderSchema(s, baseUrl));
  return { schemas: [LIST_RESPONSE], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all };
}

export function schemaById(baseUrl: string, id: string) {
  const s = ALL_SCHEMAS.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!s) throw scimNotFound(`Schema ${id.slice(0, 200)} not found`);
  return renderSchema(s, baseUrl);
}

function renderType(t: typeof USER_TYPE, baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: t.kind,
    name: t.kind,
    endpoint: t.endpoint,
    description: t.core.description,
    schema: t.core.id,
    schemaExtensions: t.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${t.kind}` },
  };
}

export function resourceTypes(baseUrl: string) {
  const all = [USER_TYPE, GROUP_TYPE].map((t) => renderType(t, baseUrl));
  return { schemas: [LIST_RESPONSE], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all };
}

export function resourceTypeById(baseUrl: string, id: string) {
  const t = [USER_TYPE, GROUP_TYPE].find((x) => x.kind.toLowerCase() === id.toLowerCase());
  if (!t) throw scimNotFound(`ResourceType ${id.slice(0, 200)} not found`);
  return renderType(t, baseUrl);
}
