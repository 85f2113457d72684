import express, { type Request, type Response } from 'express';
import { createSchema, immutableAttributes, updateSchema, type ExtraOperation, type JsonSchema, type ResourceDef } from '@claresia/catalog';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { authenticate } from '../auth/tokens.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { appendEvent, type NewEvent, type StoredEvent } from '../audit/chain.js';
import { canonicalJson } from '../audit/canonical.js';
import { sha256Hex } from '../crypto/secrets.js';
import { ApiError, forbidden } from './errors.js';
import { enforceRules, validateBody } from './validate.js';
import { peek, recordOf, remember, replay, type IdempotencyRecord } from './idempotency.js';
import { FORM_TYPE, refuseNul, unreadableBody } from './input-checks.js';
import { atLeast, type Role } from '../rbac/roles.js';
import { LIST_QUERY } from './openapi-params.js';
import { refuseUnknownQuery } from './query-check.js';
import { apiRateLimitsOf, spendRequest } from './rate-limit.js';

export type AuthMode = 'operator' | 'tenant' | 'any' | 'none';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestContext<B = any> {
  app: AppContext;
  req: Request;
  params: Record<string, string>;
  query: Request['query'];
  body: B;
  /** Undefined only on routes with auth 'none'. */
  principal: Principal;
  /** A transaction for writes (rolled back if the handler throws); the pool for reads. */
  db: Queryable;
  /** The caller's tenant; throws for an operator. */
  tenant(): TenantScope;
  /** The actor name recorded in events. */
  actor: string;
  /** Writes a governance event in this request's transaction. */
  audit(event: Omit<NewEvent, 'actor'> & { actor?: string }, tenantId?: string): Promise<StoredEvent>;
  /**
   * Runs `fn` in a transaction of its own (or in the request's, if it already has one). For
   * routes with `transaction: false` that must call out (an IdP, a platform) before they write.
   */
  transaction<T>(fn: (ctx: RequestContext<B>) => Promise<T>): Promise<T>;
  /** What the route's `prepare` step returned (undefined without one). */
  prepared?: unknown;
  /**
   * On a route with `countsOwnCaller`, counts this request against the budget of the caller its
   * handler has just authenticated: a tenant's, or a connector's (a tenant's size). Call it only
   * once the credential matched; a request that never gets here is counted by its address.
   */
  countAs(who: { tenant: string } | { connector: string }): Promise<void>;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec<B = any> {
  method: Method;
  /** Template with `{param}`; other characters (including `:`) are literal. */
  path: string;
  auth: AuthMode;
  /**
   * The least role a tenant caller needs (service accounts act as tenant_admin). Defaults:
   * reads need auditor, writes tenant_admin; a route a member may use (its own data) says so.
   */
  role?: Role;
  summary: string;
  tag: string;
  /** JSON Schema of the body; validated before the handler runs. */
  body?: JsonSchema;
  /**
   * The body may also come as application/x-www-form-urlencoded (an OAuth token request, an
   * IdP's SAML POST binding); every other route reads JSON only.
   */
  form?: boolean;
  /** Attributes that exist but cannot be changed, for a precise error on update. */
  immutable?: readonly string[];
  /** Set when the catalog already documents this operation. */
  catalogOperation?: boolean;
  response?: JsonSchema;
  /**
   * The success statuses of a hand-written route, for the OpenAPI document (default 200): a
   * generated client reads any status the document does not name as an error.
   */
  status?: number | readonly number[];
  /** The query parameters the handler reads, for the OpenAPI document. */
  query?: Readonly<Record<string, QueryDoc>>;
  /**
   * A body the handler reads itself (no `body` to validate first): its schema by media type, and
   * whether it may be left out. For the OpenAPI document only.
   */
  accepts?: { content: Readonly<Record<string, JsonSchema>>; optional?: boolean };
  /** Security schemes besides the one `auth` implies, each enough alone (HTTP Basic on the token route). */
  alsoAccepts?: readonly string[];
  /**
   * Whether the handler runs in one transaction (default: every method but GET). Set it false
   * for writes that wait on the network, so no connection is held meanwhile (PGlite has one);
   * they use ctx.transaction for their short writes and do not get Idempotency-Key replay.
   */
  transaction?: boolean;
  /**
   * Only with auth 'none': the handler authenticates a caller the router cannot (a connector's
   * ingest credential) and counts the request with ctx.countAs once the credential matched.
   * Until then nothing is counted; a request that fails or ends before is counted by address.
   */
  countsOwnCaller?: boolean;
  /**
   * Work that waits on the network (an IdP's metadata), run on the pool before the route's
   * transaction opens, so a slow host holds no connection; the handler then gets its result as
   * ctx.prepared and keeps its transaction and Idempotency-Key replay. Must not write.
   */
  prepare?(ctx: RequestContext<B>): Promise<unknown>;
  handler(ctx: RequestContext<B>): Promise<Reply>;
}

/** A query parameter as the OpenAPI document describes it. */
export interface QueryDoc {
  schema: JsonSchema;
  description?: string;
  required?: boolean;
}

/** What the OpenAPI document needs of a route beyond the catalog's operation (http/openapi-http.ts). */
export interface RouteDoc {
  auth: AuthMode;
  statuses?: readonly number[];
  query?: Readonly<Record<string, QueryDoc>>;
  accepts?: RouteSpec['accepts'];
  alsoAccepts?: readonly string[];
  response?: JsonSchema;
}

type Handler = RouteSpec['handler'];

/** A catalog resource's operations; each one given must exist in the catalog entry's `api`. */
export interface ResourceHandlers {
  create: Handler;
  read: Handler;
  list?: Handler;
  update?: Handler;
  delete?: Handler;
}

/** Per-operation options of a catalog resource's routes (a read that must write, a role). */
export type ResourceRouteOptions = Partial<Record<keyof ResourceHandlers, Pick<RouteSpec, 'transaction' | 'role' | 'prepare'>>>;

/** Big enough for the SAML POST binding: a 1 MiB SAMLResponse, %-escaped in part. */
const FORM_LIMIT = '2mb';

/** Bodies a route could not parse, refused when its handler reads ctx.body. */
const unreadableBodies = new WeakMap<Request, ApiError>();

/** Requests of a `countsOwnCaller` route that are not counted yet, with the response their headers go on. */
const uncounted = new WeakMap<Request, Response>();

/** `{id}` becomes an Express parameter; a literal `:` (as in `token:rotate`) is escaped. */
export function expressPath(template: string): string {
  return template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? `:${part.slice(1, -1)}` : part.replace(/[:()*?+!]/g, (c) => `\\${c}`)))
    .join('');
}

/**
 * Registers API routes with the house rules built in: authentication, body validation,
 * a transaction around every write, governance events inside it, Idempotency-Key replay on
 * POST, and errors as JSON. Modules only write the part that is theirs.
 */
export class ApiRouter {
  readonly router = express.Router();
  readonly operations: ExtraOperation[] = [];
  /** The least role each tenant-callable route needs, by `METHOD path`, for the OpenAPI document. */
  readonly roles = new Map<string, Role>();
  /** `METHOD path` of the POSTs that replay an Idempotency-Key, for the OpenAPI document. */
  readonly idempotent = new Set<string>();
  /** `METHOD path` of the routes that also take a form body, for the OpenAPI document. */
  readonly forms = new Set<string>();
  /** `METHOD path` to what the OpenAPI document says of the route beyond its operation. */
  readonly docs = new Map<string, RouteDoc>();

  constructor(private readonly app: AppContext) {
    // Read at start, so a bad CLARESIA_API_*RATE_* value stops the control plane with its name.
    apiRateLimitsOf(app.config);
  }

  route<B = any>(spec: RouteSpec<B>): void {
    if (!spec.catalogOperation) {
      this.operations.push({
        method: spec.method,
        path: spec.path,
        summary: spec.summary,
        tag: spec.tag,
        auth: spec.auth === 'any' ? 'tenant' : spec.auth,
        ...(spec.body ? { requestBody: spec.body } : {}),
        ...(spec.response ? { response: spec.response } : {}),
      });
    }
    const needed = spec.role ?? (spec.method === 'GET' ? 'auditor' : 'tenant_admin');
    if (spec.auth === 'tenant' || spec.auth === 'any') this.roles.set(`${spec.method} ${spec.path}`, needed);
    // write() replays a key for a POST that runs in one transaction and has a caller to bind it to.
    if (spec.method === 'POST' && spec.auth !== 'none' && spec.transaction !== false) this.idempotent.add(`${spec.method} ${spec.path}`);
    if (spec.form) this.forms.add(`${spec.method} ${spec.path}`);
    this.docs.set(`${spec.method} ${spec.path}`, {
      auth: spec.auth,
      ...(spec.status !== undefined ? { statuses: typeof spec.status === 'number' ? [spec.status] : spec.status } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.accepts ? { accepts: spec.accepts } : {}),
      ...(spec.alsoAccepts ? { alsoAccepts: spec.alsoAccepts } : {}),
      ...(spec.response ? { response: spec.response } : {}),
    });
    const method = spec.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    // Form bodies are parsed only where a route takes them; elsewhere one is refused with 415.
    const parsers = spec.form ? [express.urlencoded({ extended: false, limit: FORM_LIMIT, type: FORM_TYPE })] : [];
    if (spec.countsOwnCaller && spec.auth !== 'none') throw new Error(`${spec.method} ${spec.path}: countsOwnCaller needs auth 'none'`);
    this.router[method](expressPath(spec.path), ...parsers, async (req: Request, res: Response) => {
      if (!spec.countsOwnCaller) return this.serve(spec, req, res, needed);
      uncounted.set(req, res);
      try {
        await this.serve(spec, req, res, needed, () => this.countAddressOnce(req, res));
      } catch (err) {
        await this.countAddressOnce(req, res);
        throw err;
      }
    });
  }

  /** A request whose handler did not name its caller's budget is counted by its address, once. */
  private async countAddressOnce(req: Request, res: Response): Promise<void> {
    if (!uncounted.delete(req)) return;
    await spendRequest(this.app, req, res, 'address');
  }

  private async serve<B>(spec: RouteSpec<B>, req: Request, res: Response, needed: Role, beforeAnswer?: () => Promise<void>): Promise<void> {
    const principal = await this.admit(spec, req, res, needed);
    const inTransaction = spec.transaction ?? spec.method !== 'GET';
    // Nothing will remember this answer (a route that calls out before it writes, or one without
    // a caller to bind the key to): say so on every answer, errors included, rather than let a
    // caller believe a retry is safe. Refusing the key instead would break clients that send
    // one on every POST, as the shared client does.
    if (spec.method === 'POST' && !(inTransaction && principal) && req.header('idempotency-key') !== undefined) res.setHeader('Idempotency-Key-Ignored', 'true');
    const unreadable = unreadableBody(req, spec.form === true);
    if (unreadable && spec.body) throw unreadable;
    refuseNul(req.params, req.query, req.body);
    // Only reads are checked: a read's query is its filter, and a filter dropped widens the answer.
    if (spec.method === 'GET') refuseUnknownQuery(spec.query, req.query as Record<string, unknown>);
    if (unreadable) unreadableBodies.set(req, unreadable);
    const body = spec.body ? validateBody<B>(spec.body, req.body, spec.immutable) : (req.body as B);
    const idempotency = inTransaction ? idempotencyOf(spec, req, principal, body) : undefined;
    // A retry the record answers must not wait on (or fail with) the IdP the first one asked.
    const known = spec.prepare && idempotency ? await peek(this.app.db, this.app.keys, idempotency.record, idempotency.requestHash) : undefined;
    const prepared = spec.prepare && !known ? await spec.prepare(this.context(req, principal, body, this.app.db)) : undefined;
    const reply = known ?? (inTransaction ? await this.write(spec, req, principal, body, idempotency, prepared) : await this.run(spec, req, principal, body, this.app.db, prepared));
    await beforeAnswer?.();
    res.status(reply.status ?? 200);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.body === undefined) res.end();
    else res.json(reply.body);
  }

  /**
   * Registers a catalog resource at the catalog's paths, with the request bodies the catalog
   * derives (the create schema; the update schema and its immutable attributes), so a module
   * writes only its handlers. The catalog already documents these operations in OpenAPI.
   */
  resource(def: ResourceDef, handlers: ResourceHandlers, options: ResourceRouteOptions = {}): void {
    const bodies: Partial<Record<keyof ResourceHandlers, Pick<RouteSpec, 'body' | 'immutable'>>> = {
      create: { body: createSchema(def) },
      update: { body: updateSchema(def), immutable: immutableAttributes(def) },
    };
    for (const op of ['create', 'list', 'read', 'update', 'delete'] as const) {
      let handler = handlers[op];
      let prepare = options[op]?.prepare;
      // A create body is the whole resource, so the catalog's rules over several attributes
      // are checked here; an update's body is a change, checked by its module against the stored resource.
      if (op === 'create' && handler && def.rules?.length) {
        const create = handler;
        handler = (ctx) => {
          enforceRules(def, ctx.body as Record<string, unknown>);
          return create(ctx);
        };
        // Broken rules are refused before any fetch the create prepares.
        const before = prepare;
        if (before) {
          prepare = (ctx) => {
            enforceRules(def, ctx.body as Record<string, unknown>);
            return before(ctx);
          };
        }
      }
      if (!handler) continue;
      const api = def.api[op];
      if (!api) throw new Error(`catalog entry ${def.name} declares no ${op} operation`);
      const query = op === 'list' ? { query: LIST_QUERY } : {};
      this.route({ method: api.method, path: api.path, auth: def.auth, summary: '', tag: def.name, catalogOperation: true, ...bodies[op], ...query, ...options[op], ...(prepare ? { prepare } : {}), handler });
    }
  }

  /**
   * Authenticates the caller and counts the request against its budget (http/rate-limit.ts):
   * its tenant's, the operator's, or, without a token or with a refused one, its address's. A
   * token that authenticated spends its own budget even when it lacks the right (403): it is the
   * caller's, and its refusal costs work too. On a route without a token, an Authorization header
   * is not looked at: anyone can make one up. The RateLimit headers go on every answer so the
   * client paces itself before a 429.
   */
  private async admit(spec: RouteSpec, req: Request, res: Response, needed: Role): Promise<Principal> {
    if (spec.auth === 'none') {
      if (!spec.countsOwnCaller) await spendRequest(this.app, req, res, 'address');
      return undefined as unknown as Principal;
    }
    let principal: Principal;
    try {
      principal = await authenticate(this.app.db, this.app.keys, this.app.config.operatorToken, req.header('authorization'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) await spendRequest(this.app, req, res, 'address');
      throw err;
    }
    await spendRequest(this.app, req, res, principal.kind === 'tenant' ? { tenant: principal.tenantId } : 'operator');
    authorize(spec.auth, principal, needed);
    return principal;
  }

  private run<B>(spec: RouteSpec<B>, req: Request, principal: Principal, body: B, db: Queryable, prepared?: unknown): Promise<Reply> {
    return spec.handler(this.context(req, principal, body, db, prepared));
  }

  private context<B>(req: Request, principal: Principal, body: B, db: Queryable, prepared?: unknown): RequestContext<B> {
    const keys = this.app.keys;
    const unreadable = unreadableBodies.get(req);
    const ctx: RequestContext<B> = {
      app: this.app,
      req,
      params: req.params as Record<string, string>,
      query: req.query,
      body,
      principal,
      db,
      prepared,
      actor: principal ? actorOf(principal) : 'anonymous',
      tenant() {
        if (principal?.kind !== 'tenant') throw forbidden('this operation needs a tenant token');
        return new TenantScope(db, principal.tenantId);
      },
      audit(event, tenantId) {
        const tid = tenantId ?? (principal?.kind === 'tenant' ? principal.tenantId : undefined);
        if (!tid) throw new Error('audit event without a tenant');
        if (db === ctx.app.db) throw new Error('audit events are written inside a write transaction');
        return appendEvent(db as Tx, keys, tid, { ...event, actor: event.actor ?? ctx.actor });
      },
      countAs: async (who) => {
        const res = uncounted.get(req);
        if (!res) throw new Error('countAs: this route is counted by the router, or was counted already');
        uncounted.delete(req);
        await spendRequest(this.app, req, res, who);
      },
      transaction: (fn) => (db !== this.app.db ? fn(ctx) : this.app.db.transaction((trx) => fn(this.context(req, principal, body, trx, prepared)))),
    };
    // A route without a schema that reads its optional JSON body must not take a body it could
    // not parse as "no body"; one that streams its own (a CSV upload) never reads ctx.body.
    if (unreadable) {
      Object.defineProperty(ctx, 'body', {
        get() {
          throw unreadable;
        },
      });
    }
    return ctx;
  }

  /**
   * Writes run in one transaction; a POST with Idempotency-Key replays its first success to the
   * same principal, in full, for 24 h (an hour if it held a secret: see http/idempotency.ts).
   */
  private async write<B>(spec: RouteSpec<B>, req: Request, principal: Principal, body: B, idempotency: Idempotency | undefined, prepared?: unknown): Promise<Reply> {
    return this.app.db.transaction(async (trx) => {
      if (idempotency) {
        const prior = await replay(trx, this.app.keys, idempotency.record, idempotency.requestHash);
        if (prior) return prior;
      }
      const reply = await this.run(spec, req, principal, body, trx, prepared);
      if (idempotency) {
        await remember(trx, this.app.keys, idempotency.record, idempotency.requestHash, { status: reply.status ?? 200, body: reply.body, headers: reply.headers ?? {} });
      }
      return reply;
    });
  }
}

/** Throws 403 when an authenticated caller may not use the route. */
function authorize(mode: Exclude<AuthMode, 'none'>, p: Principal, needed: Role): void {
  if (mode === 'operator' && p.kind !== 'operator') throw forbidden('this operation needs the operator token');
  if (mode === 'tenant' && p.kind !== 'tenant') throw forbidden('this operation needs a tenant token from POST /api/v1/auth/token');
  if (p.kind === 'tenant' && !atLeast(p.role, needed)) throw forbidden(`this operation needs the ${needed} role; this token has ${p.role}`);
}

interface Idempotency {
  record: IdempotencyRecord;
  requestHash: string;
}

/** The record a write's Idempotency-Key names, if it has one: POSTs with a caller only. */
function idempotencyOf(spec: RouteSpec, req: Request, principal: Principal, body: unknown): Idempotency | undefined {
  const key = spec.method === 'POST' && principal ? req.header('idempotency-key') : undefined;
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > 255) {
    throw new ApiError(400, 'invalid_request', 'Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key');
  }
  return { record: recordOf(principal, key), requestHash: sha256Hex(`${spec.method} ${req.path}\n${canonicalJson(body ?? null)}`) };
}
