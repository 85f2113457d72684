import express from 'express';
import { buildOpenApi, dataSources, resources } from '@claresia/catalog';
import type { AppContext } from './context.js';
import { ApiRouter } from './http/router.js';
import { withRoles } from './http/openapi-roles.js';
import { withHttpConventions } from './http/openapi-http.js';
import { errorHandler, notFound } from './http/fallback.js';
import { createMetrics } from './http/metrics.js';
import { metricsAccess } from './http/metrics-access.js';
import { migrationState, type MigrationState } from './db/migrate.js';
import { modules } from './modules/index.js';

export const VERSION = '0.1.0';

/** What the app reads of the server that runs it. */
export interface Lifecycle {
  /** True once a shutdown began: /readyz then sends the load balancer elsewhere. */
  shuttingDown?: () => boolean;
}

export function createApp(ctx: AppContext, lifecycle: Lifecycle = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip is then the client's address as the trusted proxies report it (config.ts).
  app.set('trust proxy', ctx.config.trustedProxies?.length ? ctx.config.trustedProxies : false);
  const metrics = createMetrics(ctx.db, ctx.logger);

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
    if (lifecycle.shuttingDown?.()) return void res.status(503).json({ status: 'shutting_down' });
    let state: MigrationState;
    try {
      await ctx.db.raw('select 1');
      state = await migrationState(ctx.db);
    } catch {
      return void res.status(503).json({ status: 'database_unavailable' });
    }
    if (state.pending.length) return void res.status(503).json({ status: 'migrations_pending', pending: state.pending.length });
    // Migrations of a newer release (a rolling upgrade under way): this replica's own are all
    // applied and it keeps serving until it is replaced; failing here would take the whole
    // previous fleet out of service at once, before the new replicas are ready.
    if (state.unknown.length) return void res.json({ status: 'ready', schema: 'newer', unknown_migrations: state.unknown });
    res.json({ status: 'ready' });
  });
  app.get('/metrics', metricsAccess(ctx.config), async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  for (const m of modules) m.mount?.(app, ctx);

  // JSON only; the routes that also take a form body (OAuth token, SAML POST binding) say so
  // and the router parses it for them alone.
  app.use('/api', express.json({ limit: '1mb', strict: true, type: ['application/json', 'application/*+json'] }));
  const api = new ApiRouter(ctx);
  for (const m of modules) m.routes?.(api, ctx);
  const openapi = withHttpConventions(withRoles(buildOpenApi(resources, dataSources, api.operations, { version: VERSION }), api.roles), api);
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json({ ...openapi, servers: [{ url: ctx.publicUrl() }] });
  });
  app.use(api.router);

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
