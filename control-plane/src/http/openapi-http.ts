import type { RouteDoc } from './router.js';
import { mountedPaths } from './openapi-mounted.js';
import { scimComponents } from './openapi-scim.js';
import { SSO_ANSWERS } from './openapi-sso.js';

type Operation = { parameters?: unknown[]; requestBody?: { required?: boolean; content?: Record<string, unknown> }; responses?: unknown; security?: unknown[]; [k: string]: unknown };
type OpenApi = { paths?: Record<string, Record<string, Operation>> };

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  description:
    'Makes a retry safe: the same key and body from the same caller within 24 h gets the first answer again (with its Location and ' +
    'Idempotent-Replayed: true) instead of running twice; the same key with another body is 422 idempotency_key_reused. An answer ' +
    'that held a secret (a token, a client secret) is replayed whole, to that caller only, for 1 h: after that the key is forgotten ' +
    "and the request would run anew. A rotation's answer, or a create's that held a secret, is replayed only while the secret it " +
    'issued is still the current one: once ' +
    "a later rotation has replaced it (even while that rotation's overlap keeps it working) or its object was deleted, the retry is " +
    '409 request_already_completed and nothing is done (a retry arriving while such a rotation is in flight waits for it first); ' +
    "rotate again with a new key, or, for a create, adopt the object it names (terraform import or pulumi import with its id) and rotate its secret. " +
    'A POST that does not list this parameter does ' +
    'not replay: it answers a key sent anyway with Idempotency-Key-Ignored: true.',
};

/**
 * What a POST that does not replay a key answers to one sent anyway: a response header rather
 * than a parameter, so generated clients are not invited to send a key that does nothing.
 */
const IDEMPOTENCY_KEY_IGNORED = {
  schema: { type: 'string', const: 'true' },
  description:
    'Present when the request carried an Idempotency-Key, which this operation does not honour (it calls out before it writes, or ' +
    'takes no token): the request ran anew and a repeat runs again. Check the outcome before retrying.',
};

const integerHeader = (description: string) => ({ schema: { type: 'integer', minimum: 0 }, description });

/** The request budget every answer reports (http/rate-limit.ts); a client paces itself by them. */
const RATE_HEADERS = {
  'RateLimit-Limit': integerHeader('Requests the budget allows per window'),
  'RateLimit-Remaining': integerHeader('Requests left now; at 0, wait RateLimit-Reset seconds'),
  'RateLimit-Reset': integerHeader('Seconds until the budget has room again'),
  'RateLimit-Policy': { schema: { type: 'string' }, description: '<requests per window>;w=<window seconds>' },
};

/** The answer over the budget: the error shape of every other failure, with when to come back. */
function tooManyRequests(op: Operation): unknown {
  const fallback = (op.responses as Record<string, { content?: unknown }> | undefined)?.default;
  return {
    description: "Over the caller's request budget (its tenant's, the operator's, or its address's without a token); nothing was done",
    headers: { 'Retry-After': integerHeader('Seconds to wait before sending again'), ...RATE_HEADERS },
    ...(fallback?.content ? { content: fallback.content } : {}),
  };
}

/** The answer while the database is out of reach (http/fallback.ts): nothing was done, retry. */
function serviceUnavailable(op: Operation): unknown {
  const fallback = (op.responses as Record<string, { content?: unknown }> | undefined)?.default;
  return {
    description: 'database_unavailable: the control plane cannot reach its database right now; nothing was done, retry after Retry-After seconds',
    headers: { 'Retry-After': integerHeader('Seconds to wait before sending again') },
    ...(fallback?.content ? { content: fallback.content } : {}),
  };
}

const CLIENT_BASIC = {
  type: 'http',
  scheme: 'basic',
  description: "A service account's client_id and client_secret as HTTP Basic credentials (RFC 6749 §2.3.1), instead of in the body",
};

/** The security requirement of an auth mode; 'any' takes either token. */
function security(auth: RouteDoc['auth'], also: readonly string[] = []): unknown[] {
  const own = auth === 'operator' ? [{ operatorToken: [] }] : auth === 'tenant' ? [{ tenantToken: [] }] : auth === 'any' ? [{ operatorToken: [] }, { tenantToken: [] }] : [{}];
  const all = [...own, ...also.map((name) => ({ [name]: [] }))];
  return all.length === 1 && auth === 'none' ? [] : all;
}

function responses(op: Operation, statuses: readonly number[], schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of statuses) {
    if (status === 204) out[status] = { description: 'No content' };
    // A redirect also says in JSON where it goes, for a client that does not follow it.
    else if (status >= 300 && status < 400) out[status] = { description: 'Redirect', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema } } };
    else out[status] = { description: status === 202 ? 'Accepted' : status === 201 ? 'Created' : 'OK', content: { 'application/json': { schema } } };
  }
  return { ...out, default: (op.responses as Record<string, unknown> | undefined)?.default };
}

/** The schema a catalog-built operation gave its success answer, kept when the route names none. */
function successSchema(op: Operation): unknown {
  for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: unknown }> }>)) {
    if (status !== 'default' && r.content?.['application/json']?.schema) return r.content['application/json'].schema;
  }
  return { type: 'object' };
}

/**
 * What the router knows of every operation and the catalog cannot: which POSTs replay an
 * Idempotency-Key (those that run in one transaction), which bodies may also come as a form or
 * come in another media type, the success statuses and query parameters of the hand-written
 * routes, who may call a route open to operator and tenant alike, and the routes mounted beside
 * the router (SCIM, the OIDC callback). Keys are `METHOD path`, as the router registers them.
 */
export function withHttpConventions<T extends OpenApi>(
  doc: T,
  routes: { idempotent: ReadonlySet<string>; forms: ReadonlySet<string>; docs: ReadonlyMap<string, RouteDoc> },
): T {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const id = `${method.toUpperCase()} ${path}`;
      const route = routes.docs.get(id);
      if (route) describe(op, route);
      const answer = SSO_ANSWERS.get(id);
      if (answer) op.responses = responses(op, route?.statuses ?? [200], answer);
      if (op.responses) op.responses = { ...(op.responses as object), 429: tooManyRequests(op), 503: serviceUnavailable(op) };
      if (routes.idempotent.has(id)) op.parameters = [...(op.parameters ?? []), IDEMPOTENCY_KEY];
      else if (method === 'post') markKeyIgnored(op);
      const json = op.requestBody?.content?.['application/json'];
      if (routes.forms.has(id) && json) op.requestBody!.content!['application/x-www-form-urlencoded'] = json;
    }
  }
  doc.paths = { ...doc.paths, ...(mountedPaths() as NonNullable<OpenApi['paths']>) };
  const components = (doc as { components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> } }).components;
  if (components?.securitySchemes) components.securitySchemes.clientBasic = CLIENT_BASIC;
  if (components?.schemas) Object.assign(components.schemas, scimComponents);
  return doc;
}

/** Every answer of the operation (its errors included) may carry Idempotency-Key-Ignored. */
function markKeyIgnored(op: Operation): void {
  // Copies: the catalog shares one error response between operations.
  const entries = Object.entries((op.responses ?? {}) as Record<string, { headers?: Record<string, unknown> } | undefined>);
  op.responses = Object.fromEntries(entries.map(([status, r]) => [status, r && { ...r, headers: { ...r.headers, 'Idempotency-Key-Ignored': IDEMPOTENCY_KEY_IGNORED } }]));
}

function describe(op: Operation, route: RouteDoc): void {
  if (route.auth === 'any' || route.alsoAccepts) op.security = security(route.auth, route.alsoAccepts);
  if (route.statuses) op.responses = responses(op, route.statuses, route.response ?? successSchema(op));
  if (route.query) {
    const query = Object.entries(route.query).map(([name, q]) => ({
      name,
      in: 'query',
      required: q.required ?? false,
      schema: q.schema,
      ...(q.description ? { description: q.description } : {}),
      // A list in the query comes as ?name=a&name=b.
      ...(q.schema.type === 'array' ? { style: 'form', explode: true } : {}),
    }));
    op.parameters = [...(op.parameters ?? []), ...query];
  }
  if (route.accepts) {
    const content = Object.fromEntries(Object.entries(route.accepts.content).map(([type, schema]) => [type, { schema }]));
    op.requestBody = { required: !route.accepts.optional, content };
  }
}
