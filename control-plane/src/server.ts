import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { openDatabase, type Db } from './db/connection.js';
import { migrateLatest } from './db/migrate.js';
import { KeyRing } from './crypto/keys.js';
import { integerEnv } from './env-number.js';
import { createLogger } from './logger.js';
import { modules } from './modules/index.js';

export interface RunningServer {
  url: string;
  ctx: AppContext;
  /**
   * Drains and stops: no new connections, /readyz 503 `shutting_down`, the requests in flight
   * answered (for at most the grace period), the workers stopped, then the database closed.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** An already open database (tests share one); otherwise opened from the config. */
  db?: Db;
  logger?: Logger;
  /** Run migrations before serving (default true). */
  migrate?: boolean;
  /** How long close() lets requests in flight finish; default CLARESIA_SHUTDOWN_GRACE_SECONDS. */
  shutdownGraceSeconds?: number;
}

/** Below Kubernetes' default terminationGracePeriodSeconds (30), so the drain ends before a SIGKILL. */
const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

export function openConfiguredDatabase(config: Config, logger?: Logger): Db {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.databasePool?.max,
    poolIdleSeconds: config.databasePool?.idleSeconds,
    // knex otherwise prints its warnings (a refused connection, with its stack) to stdout as
    // plain text, between the JSON lines a log shipper parses one by one.
    logger: logger ?? createLogger(config.logLevel),
  });
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  // Read first, so a bad value stops start-up naming the variable before anything is opened.
  const graceSeconds = opts.shutdownGraceSeconds ?? integerEnv(process.env, 'CLARESIA_SHUTDOWN_GRACE_SECONDS', DEFAULT_SHUTDOWN_GRACE_SECONDS, 0, 3600);
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = opts.db ?? openConfiguredDatabase(config, logger);
  if (opts.migrate !== false) await migrateLatest(db);
  const keys = new KeyRing(config.masterKey);
  let boundUrl = '';
  const ctx: AppContext = { config, db, keys, logger, publicUrl: () => config.publicUrl ?? boundUrl };
  // Create the signing keys up front so the first requests of two replicas do not race for them.
  await keys.activeKey(db, 'audit');
  await keys.activeKey(db, 'jwt');
  let shuttingDown = false;
  const app = createApp(ctx, { shuttingDown: () => shuttingDown });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  // The answers being written, so that a shutdown can end each one's connection after it
  // instead of cutting it, and not wait out a keep-alive connection that stays open after.
  const answering = new Set<http.ServerResponse>();
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
    answering.add(res);
    res.once('close', () => {
      answering.delete(res);
      // An answer whose headers went out before the shutdown could not say "close": its
      // connection is idle once the answer is written, and ends here.
      if (shuttingDown) setImmediate(() => server.closeIdleConnections());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  boundUrl = `http://${host}:${addr.port}`;
  const stoppers: Array<() => Promise<void>> = [];
  for (const m of modules) if (m.start) stoppers.push(await m.start(ctx));

  const drain = async () => {
    shuttingDown = true;
    logger.info({ requests_in_flight: answering.size, grace_seconds: graceSeconds }, 'shutting down');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const res of answering) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.closeIdleConnections();
    // The workers finish their jobs (each has its own timeout, and a lease another replica
    // takes over) while the requests finish: one does not wait for the other.
    const workers = Promise.allSettled(stoppers.map((stop) => stop()));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace_over'>((resolve) => (timer = setTimeout(() => resolve('grace_over'), graceSeconds * 1000)));
    const outcome = await Promise.race([closed.then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace_over') {
      logger.warn({ requests_cut: answering.size, grace_seconds: graceSeconds }, 'shutdown grace period over: closing connections with requests still in flight');
      server.closeAllConnections();
      await closed;
    }
    for (const r of await workers) {
      if (r.status === 'rejected') logger.error({ err: { message: (r.reason as Error)?.message } }, 'a worker failed to stop');
    }
    if (!opts.db) await db.destroy();
    logger.info('stopped');
  };
  let stopping: Promise<void> | undefined;
  return {
    url: boundUrl,
    ctx,
    close: () => (stopping ??= drain()),
  };
}
