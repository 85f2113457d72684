import express, { type NextFunction, type Request, type Response } from 'express';
import { buildOpenApi, dataSources, resources } from '@claresia/catalog';
import type { AppContext } from './context.js';
import { ApiRouter } from './http/router.js';
import { withRoles } from './http/openapi-roles.js';
import { ApiError } from './http/errors.js';
import { createMetrics } from './http/metrics.js';
import { pendingMigrations } from './db/migrate.js';
import { modules } from './modules/index.js';

export const VERSION = '0.1.0';

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

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = createMetrics();

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // The route template, not the raw path, so ids do not explode label cardinality; a router
      // mounted under a path with parameters names its template (req.baseUrl is the matched path).
      const base = (res.locals.routeBase as string | undefined) ?? req.baseUrl;
      const route = req.route?.path ? `${base}${String(req.route.path).replaceAll('\\', '')}` : 'unmatched';
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.duration.observe({ method: req.method, route }, seconds);
      ctx.logger.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ctx.db.raw('select 1');
      const pending = await pendingMigrations(ctx.db);
      if (pending > 0) return void res.status(503).json({ status: 'migrations_pending', pending });
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database_unavailable' });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  for (const m of modules) m.mount?.(app, ctx);

  app.use(
    '/api',
    express.json({ limit: '1mb', strict: true, type: ['application/json', 'application/*+json'] }),
    express.urlencoded({ extended: false, limit: '64kb' }),
  );
  const api = new ApiRouter(ctx);
  for (const m of modules) m.routes?.(api, ctx);
  const openapi = withRoles(buildOpenApi(resources, dataSources, api.operations, { version: VERSION }), api.roles);
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json({ ...openapi, servers: [{ url: ctx.publicUrl() }] });
  });
  app.use(api.router);

  app.use('/api', (req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.baseUrl}${req.path}`)));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
      return void res.status(err.status).json(err.toJSON());
    }
    const e = err as { type?: string; status?: number; message?: string };
    const refused = e?.type ? BODY_REFUSALS[e.type] : undefined;
    if (refused) return void res.status(refused.status).json(refused.toJSON());
    // Only the message and stack: bodies and headers may hold secrets.
    ctx.logger.error({ err: { message: e?.message, stack: (err as Error)?.stack } }, 'unhandled error');
    res.status(500).json(new ApiError(500, 'internal', 'internal error').toJSON());
  });
  return app;
}
