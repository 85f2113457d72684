import { createSchema, responseSchema, updateSchema, type JsonSchema } from './json-schema.js';
import type { ApiOperation, DataSourceDef, ResourceDef } from './types.js';

/** An API operation that is not a catalog resource's CRUD (auth, audit, SCIM ...). */
export interface ExtraOperation extends ApiOperation {
  summary: string;
  tag: string;
  /** `ingest`: an LLM connector's ingest credential, or a tenant token. */
  auth: 'operator' | 'tenant' | 'none' | 'scim' | 'ingest';
  requestBody?: JsonSchema;
  response?: JsonSchema;
  status?: '200' | '201' | '202' | '204';
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
    },
  },
};

function security(auth: string): unknown[] {
  if (auth === 'none') return [];
  if (auth === 'operator') return [{ operatorToken: [] }];
  if (auth === 'scim') return [{ scimToken: [] }];
  if (auth === 'ingest') return [{ ingestCredential: [] }, { tenantToken: [] }];
  return [{ tenantToken: [] }];
}

function pathParams(path: string): unknown[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function op(
  summary: string,
  tag: string,
  path: string,
  auth: string,
  body: JsonSchema | undefined,
  ok: { status: string; schema?: JsonSchema },
): JsonSchema {
  const o: JsonSchema = {
    summary,
    tags: [tag],
    security: security(auth),
    parameters: pathParams(path),
    responses: {
      [ok.status]: ok.schema
        ? { description: 'OK', content: { 'application/json': { schema: ok.schema } } }
        : { description: 'No content' },
      default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
  if (body) o.requestBody = { required: true, content: { 'application/json': { schema: body } } };
  return o;
}

/** The OpenAPI 3.1 document, derived from the catalog plus the operations modules declare. */
export function buildOpenApi(
  resources: readonly ResourceDef[],
  dataSources: readonly DataSourceDef[],
  extra: readonly ExtraOperation[],
  info: { version: string; serverUrl?: string },
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const add = (o: ApiOperation, value: JsonSchema) => {
    paths[o.path] ??= {};
    paths[o.path]![o.method.toLowerCase()] = value;
  };
  for (const r of resources) {
    const ref = (n: string) => ({ $ref: `#/components/schemas/${n}` });
    schemas[r.title] = { ...responseSchema(r), description: r.description };
    schemas[`${r.title}Create`] = createSchema(r);
    if (r.api.update) schemas[`${r.title}Update`] = updateSchema(r);
    add(r.api.create, op(`Create a ${r.name}`, r.name, r.api.create.path, r.auth, ref(`${r.title}Create`), { status: '201', schema: ref(r.title) }));
    add(r.api.read, op(`Read a ${r.name}`, r.name, r.api.read.path, r.auth, undefined, { status: '200', schema: ref(r.title) }));
    if (r.api.update)
      add(r.api.update, op(`Update a ${r.name}`, r.name, r.api.update.path, r.auth, ref(`${r.title}Update`), { status: '200', schema: ref(r.title) }));
    if (r.api.delete) add(r.api.delete, op(`Delete a ${r.name}`, r.name, r.api.delete.path, r.auth, undefined, { status: '204' }));
    if (r.api.list)
      add(
        r.api.list,
        op(`List ${r.name} resources`, r.name, r.api.list.path, r.auth, undefined, {
          status: '200',
          schema: { type: 'object', properties: { items: { type: 'array', items: ref(r.title) }, next_cursor: { type: ['string', 'null'] } } },
        }),
      );
  }
  for (const d of dataSources) {
    schemas[d.title] = { ...responseSchema(d), description: d.description };
    add(d.api.read, op(`Read ${d.name}`, d.name, d.api.read.path, d.auth, undefined, { status: '200', schema: { $ref: `#/components/schemas/${d.title}` } }));
  }
  for (const e of extra) {
    add(e, op(e.summary, e.tag, e.path, e.auth, e.requestBody, { status: e.status ?? '200', schema: e.response ?? { type: 'object' } }));
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Claresia API', version: info.version },
    servers: info.serverUrl ? [{ url: info.serverUrl }] : [],
    paths,
    components: {
      schemas,
      securitySchemes: {
        operatorToken: { type: 'http', scheme: 'bearer', description: 'CLARESIA_OPERATOR_TOKEN' },
        tenantToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /api/v1/auth/token' },
        scimToken: { type: 'http', scheme: 'bearer', description: "A SCIM directory's bearer token" },
        ingestCredential: { type: 'http', scheme: 'bearer', description: "An LLM connector's ingest credential (returned at create and ingest-credential:rotate)" },
      },
    },
  };
}
