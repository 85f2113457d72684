import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ScimError } from '../scim/errors.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../db/unavailable.js';
import { ApiError } from './errors.js';
import { refuseNul } from './input-checks.js';

/**
 * What the body parsers refuse, as the API's own errors: anything else from them would be a 500
 * (a body in latin1, say), though the request is what is wrong.
 */
const BODY_REFUSALS: Record<string, ApiError> = {
  'entity.parse.failed': new ApiError(400, 'invalid_json', 'request body is not valid JSON', 'body'),
  'entity.too.large': new ApiError(413, 'payload_too_large', 'request body is too large', 'body'),
  'parameters.too.many': new ApiError(413, 'payload_too_large', 'request body has too many form parameters', 'body'),
  'charset.unsupported': new ApiError(415, 'unsupported_media_type', 'request body charset is not supported; send UTF-8', 'Content-Type'),
  'encoding.unsupported': new ApiError(415, 'unsupported_media_type', 'request body Content-Encoding is not supported', 'Content-Encoding'),
  'request.aborted': new ApiError(400, 'invalid_body', 'request body ended before its Content-Length', 'body'),
  'request.size.invalid': new ApiError(400, 'invalid_body', 'request body length does not match its Content-Length', 'body'),
};

/** PostgreSQL's refusals of a NUL character: in text (22021, "... 0x00") and in jsonb (22P05). */
const nulRefused = (e: { code?: unknown; message?: string }) => e.code === '22P05' || (e.code === '22021' && /0x00/.test(e.message ?? ''));

/** Where a NUL the database refused came from, for a route outside the API router's checks. */
function nulField(req: Request): string {
  try {
    if (decodeURIComponent(req.path).includes('\u0000')) return 'path';
    refuseNul({}, req.query as Record<string, unknown>, req.body);
  } catch (err) {
    if (err instanceof ApiError && err.field) return err.field;
  }
  return 'body';
}

/** A SCIM client (an IdP) parses the SCIM error schema; everyone else the API's error shape. */
const isScim = (req: Request) => req.path === '/scim' || req.path.startsWith('/scim/');

function send(req: Request, res: Response, err: ApiError): void {
  for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
  if (isScim(req)) {
    const scim = new ScimError(err.status, err.status === 400 ? 'invalidSyntax' : undefined, err.message);
    res.status(err.status).setHeader('Content-Type', 'application/scim+json; charset=utf-8');
    return void res.end(JSON.stringify(scim.toJSON()));
  }
  res.status(err.status).json(err.toJSON());
}

/**
 * Any path no route answers, the root included: this server has no pages, so every client gets
 * an error it can parse (Express's default is an HTML page), with a pointer to what exists.
 */
export function notFound(req: Request, res: Response): void {
  const where = `${req.method} ${req.originalUrl.split('?')[0]!.slice(0, 200)}`;
  const hint = isScim(req) ? 'SCIM endpoints are under /scim/v2/{directory_id}/' : 'the API is under /api/v1 (see /api/v1/openapi.json)';
  send(req, res, new ApiError(404, 'not_found', `no route for ${where}; ${hint}`));
}

const databaseUnavailable = () =>
  new ApiError(503, 'database_unavailable', 'the service cannot reach its database right now; retry later', undefined, { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) });

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof ApiError) return send(req, res, err);
    const e = err as { type?: string; status?: number; message?: string; code?: string };
    const refused = e?.type ? BODY_REFUSALS[e.type] : undefined;
    if (refused) return send(req, res, refused);
    // The router could not decode a path parameter (%C3%28, a lone %): the URL is what is wrong.
    if (err instanceof URIError && e.status === 400) {
      return send(req, res, new ApiError(400, 'invalid_request', 'the request path holds a malformed %-escape', 'path'));
    }
    // A NUL the router's input checks did not see (a CSV field, a route mounted beside the
    // router): still the caller's, named as closely as the request allows.
    if (e && nulRefused(e)) {
      const field = nulField(req);
      return send(req, res, new ApiError(400, 'invalid_value', `${field} holds a NUL character (U+0000), which cannot be stored`, field));
    }
    // An outage, not a bug: the caller retries (clients and IdPs do on 503 with Retry-After), and
    // the log gets no stack per request; the job runner and /readyz report the outage itself.
    if (isDatabaseUnavailable(err)) {
      logger.debug({ err: { message: e?.message } }, 'database unavailable');
      return send(req, res, databaseUnavailable());
    }
    // Only the message and stack: bodies and headers may hold secrets.
    logger.error({ err: { message: e?.message, stack: (err as Error)?.stack } }, 'unhandled error');
    send(req, res, new ApiError(500, 'internal', 'internal error'));
  };
}
