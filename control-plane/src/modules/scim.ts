import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connection.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../db/unavailable.js';
import { GroupCommit, type Bulk } from '../db/group-commit.js';
import { KeyedBatches } from '../batches.js';
import { recordFailure } from '../scim/changes.js';
import { allowlist, isAllowed } from '../scim/cidr.js';
import { DirectoryScope, etagOf, json } from '../scim/context.js';
import type { StoredDirectory } from '../scim/directories.js';
import { hashSecret } from '../crypto/secrets.js';
import { MAX_RESULTS, resourceTypeById, resourceTypes, schemaById, schemas, serviceProviderConfig } from '../scim/discovery.js';
import { invalidSyntax, invalidValue, ScimError } from '../scim/errors.js';
import type { Filter } from '../scim/filter/ast.js';
import { parseFilter } from '../scim/filter/parse.js';
import { createGroup, deleteGroup, findGroup, listGroups, membersOf, patchGroup, renderGroup, replaceGroup, type GroupRow } from '../scim/groups.js';
import { readPatchBody } from '../scim/patch.js';
import { applyProjection, readProjection, type Projection } from '../scim/projection.js';
import { authenticateAndTake, rateLimitFrom, refund, type Gate } from '../scim/rate-limit.js';
import { GROUP_TYPE, LIST_RESPONSE, USER_TYPE, type ResourceTypeDef } from '../scim/schema.js';
import { Utf8Body } from '../scim/utf8-body.js';
import { createUsers, deleteUser, findUser, groupsOf, listUsers, patchUser, renderUser, addUserText, replaceUser, type GroupRef, type UserRow } from '../scim/users.js';
import type { Module } from './module.js';
import { clientAddress } from '../http/client-address.js';

/**
 * The per-directory SCIM 2.0 endpoint (RFC 7643/7644) at /scim/v2/{directory_id}. It has rules
 * of its own, so it is mounted beside the API router rather than through it: the directory's
 * bearer token instead of a tenant JWT, the IP allowlist, a per-tenant rate limit kept in
 * PostgreSQL, and errors in the SCIM error schema as application/scim+json. Writes still run in
 * one transaction with their governance event (actor `<idp>:scim`).
 */

const SCIM_JSON = 'application/scim+json';
const DEFAULT_COUNT = 100;
/** The media types a body is read as: SCIM's own (RFC 7644 §3.8), and the one generic HTTP clients send. */
const BODY_TYPES = [SCIM_JSON, 'application/json'];

const notSupported = (what: string) => new ScimError(501, undefined, `this service provider does not support ${what}`);

/**
 * A body in another media type, or with none named, is refused with 415 (RFC 9110 §15.5.16) rather
 * than read as something else: the IdP is told which header to fix, not that its JSON is not an
 * object. A DELETE with Content-Length: 0 has no body, so needs no type.
 */
function unsupportedBody(req: Request): ScimError | undefined {
  const length = req.header('content-length');
  const hasBody = req.header('transfer-encoding') !== undefined || (length !== undefined && Number(length) > 0);
  if (!hasBody || req.is(BODY_TYPES)) return undefined;
  const type = req.header('content-type');
  const accepted = `${BODY_TYPES.join(' or ')} (UTF-8)`;
  return new ScimError(415, undefined, type ? `the Content-Type header must be ${accepted}, not "${type.slice(0, 100)}"` : `a request body needs a Content-Type header: ${accepted}`);
}

interface Authed {
  directory: StoredDirectory;
  baseUrl: string;
}

function send(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}) {
  sendText(res, status, body === undefined ? undefined : JSON.stringify(body), headers);
}

/** An answer already serialised (a Buffer: see Utf8Body). */
function sendText(res: Response, status: number, text?: string | Buffer, headers: Record<string, string> = {}) {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (text === undefined) return void res.end();
  res.setHeader('Content-Type', `${SCIM_JSON}; charset=utf-8`);
  res.end(text);
}

const plain = (p: Projection) => !p.include && !p.exclude;

function intParam(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (typeof s !== 'string' && typeof s !== 'number') throw invalidValue(`${name} must be an integer`);
  if (!/^-?\d{1,9}$/.test(String(s))) throw invalidValue(`${name} must be an integer`);
  return Number(s);
}

interface ListParams {
  filter?: Filter;
  startIndex: number;
  count: number;
  projection: Projection;
}

function listParams(type: ResourceTypeDef, q: Record<string, unknown>): ListParams {
  const rawFilter = Array.isArray(q.filter) ? q.filter[0] : q.filter;
  if (rawFilter !== undefined && typeof rawFilter !== 'string') throw invalidValue('filter must be a string');
  // RFC 7644 §3.4.2.4: startIndex below 1 is read as 1, count below 0 as 0; above the maximum is capped.
  const startIndex = Math.max(1, intParam(q.startIndex, 'startIndex', 1));
  const count = Math.min(MAX_RESULTS, Math.max(0, intParam(q.count, 'count', DEFAULT_COUNT)));
  if (q.sortBy !== undefined) throw new ScimError(400, 'invalidValue', 'sortBy is not supported (see ServiceProviderConfig); results come in creation order');
  return { ...(rawFilter ? { filter: parseFilter(rawFilter) } : {}), startIndex, count, projection: readProjection(type, q) };
}

/** If-None-Match (RFC 7644 §3.14): the client's copy is current. */
function notModified(req: Request, version: number): boolean {
  const tags = req.header('if-none-match')?.split(',').map((t) => t.trim());
  return !!tags && (tags.includes('*') || tags.includes(etagOf(version)));
}

function listResponse(total: number, startIndex: number, resources: unknown[]) {
  return { schemas: [LIST_RESPONSE], totalResults: total, itemsPerPage: resources.length, startIndex, Resources: resources };
}

/** The same ListResponse around resources that `addResources` writes into the body, comma-separated. */
function listResponseBody(total: number, startIndex: number, itemsPerPage: number, addResources: (body: Utf8Body) => void): Buffer {
  const head = JSON.stringify({ schemas: [LIST_RESPONSE], totalResults: total, itemsPerPage, startIndex });
  const body = new Utf8Body().add(head, true).add(',"Resources":[');
  addResources(body);
  return body.add(']}').toBuffer();
}

/** Each row's groups: read with the row (group_refs), or in one query for those read without. */
async function groupsFor(ds: DirectoryScope, rows: UserRow[]): Promise<(r: UserRow) => GroupRef[]> {
  const missing = rows.filter((r) => r.group_refs === undefined).map((r) => r.id);
  const groups = missing.length ? await groupsOf(ds, missing) : new Map<string, GroupRef[]>();
  return (r) => (r.group_refs !== undefined ? json<GroupRef[]>(r.group_refs) : (groups.get(r.id) ?? []));
}

async function renderUsers(ds: DirectoryScope, rows: UserRow[], p: Projection) {
  const groups = await groupsFor(ds, rows);
  return rows.map((r) => applyProjection(renderUser(ds, r, groups(r)), p));
}

/** Users as JSON text, comma-separated: with every attribute, a stored rendering is spliced rather than rebuilt. */
async function usersText(ds: DirectoryScope, rows: UserRow[], p: Projection): Promise<(body: Utf8Body) => void> {
  if (!plain(p)) {
    const users = (await renderUsers(ds, rows, p)).map((u) => JSON.stringify(u));
    return (body) => users.forEach((u, i) => (i ? body.add(',') : body).add(u));
  }
  const groups = await groupsFor(ds, rows);
  return (body) => rows.forEach((r, i) => addUserText(i ? body.add(',') : body, ds, r, groups(r)));
}

async function renderGroups(ds: DirectoryScope, rows: GroupRow[], p: Projection) {
  // Members are only loaded when they will be returned: IdPs list groups with excludedAttributes=members.
  const wantMembers = p.include ? [...p.include].some((k) => k === '|members' || k.startsWith('|members.')) : !p.exclude?.has('|members');
  const members = wantMembers ? await membersOf(ds, rows.map((r) => r.id)) : undefined;
  return rows.map((r) => applyProjection(renderGroup(ds, r, members ? (members.get(r.id) ?? []) : undefined), p));
}

export function scimRouter(app: AppContext): express.Router {
  const router = express.Router({ mergeParams: true });
  const limit = rateLimitFrom(app.config.scimRateLimit);
  const db: Db = app.db;
  const commits = new GroupCommit(db);
  // Requests of one directory and token arriving while its check is in flight share the next one.
  const gates = new KeyedBatches<{ directoryId: string; tokenHash: string }, Gate<StoredDirectory> | undefined>(async (_key, reqs) => {
    const { directoryId, tokenHash } = reqs[0]!;
    const opened = await authenticateAndTake<StoredDirectory>(db, directoryId, tokenHash, limit, reqs.length);
    return reqs.map((_, i) => ({ status: 'fulfilled', value: opened?.[i] }));
  });

  // The token check and the rate-limit count are one statement, which counts nothing for a
  // wrong token: an unauthenticated caller cannot spend a tenant's budget. A request from
  // outside the allowlist is refunded.
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const directoryId = String(req.params.directoryId);
      const header = req.header('authorization') ?? '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const tokenHash = m ? hashSecret(m[1]!) : undefined;
      const gate = tokenHash ? await gates.run(`${directoryId}\n${tokenHash}`, { directoryId, tokenHash }) : undefined;
      if (!gate) throw new ScimError(401, undefined, 'a valid bearer token of this SCIM directory is required', { 'WWW-Authenticate': 'Bearer realm="scim"' });
      const { directory } = gate;
      if (!isAllowed(allowlist(json<string[]>(directory.ip_allowlist)), clientAddress(req))) {
        await refund(db, directory.tenant_id, gate.second);
        throw new ScimError(403, undefined, "this address is not in the directory's IP allowlist");
      }
      const { remaining } = await gate.take();
      // What the shared API client throttles itself by, before it would see a 429.
      res.setHeader('RateLimit-Limit', String(limit.sustainedPerSecond * limit.windowSeconds));
      res.setHeader('RateLimit-Remaining', String(remaining));
      res.locals.scim = { directory, baseUrl: `${app.publicUrl()}/scim/v2/${directory.id}` } satisfies Authed;
      next();
    } catch (err) {
      next(err);
    }
  });

  // Neither is offered (ServiceProviderConfig: bulk.supported false): 501 tells the IdP so, where
  // 404 would read as a wrong base URL. After authentication, so a stranger learns nothing.
  router.all('/Me', (_req, _res, next) => next(notSupported('/Me (RFC 7644 §3.11): a directory token stands for the IdP, not for a user')));
  router.all('/Bulk', (_req, _res, next) => next(notSupported('/Bulk (RFC 7644 §3.7): send each operation as a request of its own')));

  // After authentication, so that a malformed body is an error of a known directory (and reported by scim:sync).
  router.use((req: Request, _res: Response, next: NextFunction) => next(unsupportedBody(req)));
  router.use(express.json({ limit: '2mb', strict: false, type: BODY_TYPES }));

  const authed = (res: Response) => res.locals.scim as Authed;
  const reader = (res: Response) => new DirectoryScope(app, db, authed(res).directory, authed(res).baseUrl);

  interface Done {
    status: number;
    /** The resource to answer with, read after commit so the chain lock is not held for it. */
    user?: string;
    /** A created user, answered as written without reading it back. */
    created?: UserRow;
    group?: string;
  }

  /** Answers a write once it committed. */
  const answer = async (req: Request, res: Response, done: Done) => {
    const ds = reader(res);
    const location = (path: string): Record<string, string> => (done.status === 201 ? { Location: `${ds.baseUrl}${path}` } : {});
    if (done.created) {
      const [body] = await renderUsers(ds, [done.created], {});
      return send(res, done.status, body, { ETag: etagOf(done.created.version), ...location(`/Users/${done.created.id}`) });
    }
    if (done.user) {
      const row = await findUser(ds, done.user);
      const [body] = await renderUsers(ds, [row], {});
      return send(res, done.status, body, { ETag: etagOf(row.version), ...location(`/Users/${row.id}`) });
    }
    if (done.group) {
      const row = await findGroup(ds, done.group);
      const [body] = await renderGroups(ds, [row], readProjection(GROUP_TYPE, req.query as Record<string, unknown>));
      return send(res, done.status, body, { ETag: etagOf(row.version), ...location(`/Groups/${row.id}`) });
    }
    send(res, done.status);
  };

  /**
   * A write in a transaction, shared with the tenant's other writes arriving meanwhile (group
   * commit); a refused one is logged for the sync report by the error handler.
   */
  const write = (fn: (ds: DirectoryScope, req: Request) => Promise<Done>) => async (req: Request, res: Response) => {
    const a = authed(res);
    await answer(req, res, await commits.run(a.directory.tenant_id, (trx) => fn(new DirectoryScope(app, trx, a.directory, a.baseUrl), req)));
  };

  // User creates arriving together (an IdP's initial push) are made in one multi-row insert.
  const userCreates: Bulk<{ authed: Authed; body: unknown }, UserRow> = {
    async run(trx, inputs) {
      const out: Array<PromiseSettledResult<UserRow>> = new Array(inputs.length);
      const byDirectory = new Map<string, number[]>();
      inputs.forEach((x, i) => {
        const at = byDirectory.get(x.authed.directory.id);
        if (at) at.push(i);
        else byDirectory.set(x.authed.directory.id, [i]);
      });
      for (const at of byDirectory.values()) {
        const a = inputs[at[0]!]!.authed;
        const settled = await createUsers(new DirectoryScope(app, trx, a.directory, a.baseUrl), at.map((i) => inputs[i]!.body));
        at.forEach((i, k) => (out[i] = settled[k]!));
      }
      return out;
    },
  };

  const ifMatch = (req: Request) => req.header('if-match') ?? undefined;

  router.get('/ServiceProviderConfig', (_req, res) => send(res, 200, serviceProviderConfig(authed(res).baseUrl)));
  router.get('/Schemas', (_req, res) => send(res, 200, schemas(authed(res).baseUrl)));
  router.get('/Schemas/:id', (req, res) => send(res, 200, schemaById(authed(res).baseUrl, String(req.params.id))));
  router.get('/ResourceTypes', (_req, res) => send(res, 200, resourceTypes(authed(res).baseUrl)));
  router.get('/ResourceTypes/:id', (req, res) => send(res, 200, resourceTypeById(authed(res).baseUrl, String(req.params.id))));

  const searchUsers = async (res: Response, q: Record<string, unknown>) => {
    const p = listParams(USER_TYPE, q);
    const ds = reader(res);
    const { total, rows } = await listUsers(ds, p.filter, p.startIndex, p.count, plain(p.projection));
    sendText(res, 200, listResponseBody(total, p.startIndex, rows.length, await usersText(ds, rows, p.projection)));
  };
  const searchGroups = async (res: Response, q: Record<string, unknown>) => {
    const p = listParams(GROUP_TYPE, q);
    const ds = reader(res);
    const { total, rows } = await listGroups(ds, p.filter, p.startIndex, p.count);
    send(res, 200, listResponse(total, p.startIndex, await renderGroups(ds, rows, p.projection)));
  };
  const searchBody = (req: Request) => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw invalidSyntax('the body must be a SearchRequest object');
    return req.body as Record<string, unknown>;
  };

  router.get('/Users', (req, res) => searchUsers(res, req.query as Record<string, unknown>));
  router.post('/Users/.search', (req, res) => searchUsers(res, searchBody(req)));
  router.get('/Users/:id', async (req, res) => {
    const ds = reader(res);
    const row = await findUser(ds, String(req.params.id));
    if (notModified(req, row.version)) return send(res, 304, undefined, { ETag: etagOf(row.version) });
    const body = new Utf8Body();
    (await usersText(ds, [row], readProjection(USER_TYPE, req.query as Record<string, unknown>)))(body);
    sendText(res, 200, body.toBuffer(), { ETag: etagOf(row.version) });
  });
  router.post('/Users', async (req, res) => {
    const a = authed(res);
    await answer(req, res, { status: 201, created: await commits.runBulk(a.directory.tenant_id, userCreates, { authed: a, body: req.body }) });
  });
  router.put(
    '/Users/:id',
    write(async (ds, req) => ({ status: 200, user: await replaceUser(ds, String(req.params.id), req.body, ifMatch(req)) })),
  );
  router.patch(
    '/Users/:id',
    write(async (ds, req) => ({ status: 200, user: await patchUser(ds, String(req.params.id), readPatchBody(req.body), ifMatch(req)) })),
  );
  router.delete(
    '/Users/:id',
    write(async (ds, req) => {
      await deleteUser(ds, String(req.params.id), ifMatch(req));
      return { status: 204 };
    }),
  );

  router.get('/Groups', (req, res) => searchGroups(res, req.query as Record<string, unknown>));
  router.post('/Groups/.search', (req, res) => searchGroups(res, searchBody(req)));
  router.get('/Groups/:id', async (req, res) => {
    const ds = reader(res);
    const row = await findGroup(ds, String(req.params.id));
    if (notModified(req, row.version)) return send(res, 304, undefined, { ETag: etagOf(row.version) });
    const [body] = await renderGroups(ds, [row], readProjection(GROUP_TYPE, req.query as Record<string, unknown>));
    send(res, 200, body, { ETag: etagOf(row.version) });
  });
  router.post(
    '/Groups',
    write(async (ds, req) => ({ status: 201, group: await createGroup(ds, req.body) })),
  );
  router.put(
    '/Groups/:id',
    write(async (ds, req) => ({ status: 200, group: await replaceGroup(ds, String(req.params.id), req.body, ifMatch(req)) })),
  );
  router.patch(
    '/Groups/:id',
    // The body of a group PATCH is optional (RFC 7644 §3.5.2); Okta and Entra ID accept 200 with it.
    write(async (ds, req) => ({ status: 200, group: await patchGroup(ds, String(req.params.id), readPatchBody(req.body), ifMatch(req)) })),
  );
  router.delete(
    '/Groups/:id',
    write(async (ds, req) => {
      await deleteGroup(ds, String(req.params.id), ifMatch(req));
      return { status: 204 };
    }),
  );

  router.use((req: Request, _res: Response, next: NextFunction) => next(new ScimError(404, undefined, `no SCIM endpoint ${req.method} ${req.path}`)));

  router.use(async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    let scim: ScimError;
    if (err instanceof ScimError) scim = err;
    else if (e?.type === 'entity.parse.failed') scim = invalidSyntax('the body is not valid JSON');
    else if (e?.type === 'entity.too.large') scim = new ScimError(413, undefined, 'the body is too large');
    else if (e?.type === 'charset.unsupported') scim = new ScimError(415, undefined, `the Content-Type header names charset "${String((err as { charset?: unknown }).charset).slice(0, 40)}": send UTF-8`);
    else if (e?.type === 'encoding.unsupported') scim = new ScimError(415, undefined, 'the Content-Encoding header names an encoding this server does not read: send gzip, deflate, br or none');
    // e.g. a path parameter that is not valid percent-encoding (the router's URIError, status 400).
    else if (err instanceof URIError || (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)) scim = invalidSyntax('the request URL or body is malformed');
    else if (isDatabaseUnavailable(err)) scim = new ScimError(503, undefined, 'the service cannot reach its database right now; retry later', { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });
    else {
      // Only message and stack: bodies and headers carry tokens and personal data.
      app.logger.error({ err: { message: e?.message, stack: (err as Error)?.stack } }, 'scim: unhandled error');
      scim = new ScimError(500, undefined, 'internal error');
    }
    const a = res.locals.scim as Authed | undefined;
    const kind = /^\/(Users|Groups)(\/|$)/i.exec(req.path)?.[1]?.toLowerCase();
    // Failed writes of an authenticated IdP are what scim:sync reports as errors (rate-limit
    // refusals are not: logging each would add a write per refused request).
    // Nor an outage: the record could not be written, and the IdP retries the write anyway.
    if (a && kind && req.method !== 'GET' && !/\/\.search$/.test(req.path) && scim.status !== 429 && scim.status !== 503) {
      await recordFailure(db, {
        tenantId: a.directory.tenant_id,
        directoryId: a.directory.id,
        kind: kind === 'users' ? 'user' : 'group',
        subjectId: typeof req.params.id === 'string' ? req.params.id.slice(0, 40) : (/^\/\w+\/([^/]{1,40})/.exec(req.path)?.[1] ?? null),
        method: req.method,
        path: req.path,
        status: scim.status,
        body: scim.toJSON(),
      }).catch((e: Error) => app.logger.error({ err: { message: e.message } }, 'scim: could not record a failed write'));
    }
    send(res, scim.status, scim.toJSON(), scim.headers);
  });
  return router;
}

export const scimModule: Module = {
  name: 'scim',
  mount(server, app) {
    const mount = '/scim/v2/:directoryId';
    // Metrics and logs label requests by this template: req.baseUrl holds the directory's id.
    server.use(mount, (_req, res, next) => ((res.locals.routeBase = mount), next()), scimRouter(app));
  },
};
