import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { openDatabase, type Db } from './db/connection.js';
import { migrateLatest } from './db/migrate.js';
import { KeyRing } from './crypto/keys.js';
import { createLogger } from './logger.js';
import { modules } from './modules/index.js';

export interface RunningServer {
  url: string;
  ctx: AppContext;
  close(): Promise<void>;
}

export interface StartOptions {
  /** An already open database (tests share one); otherwise opened from the config. */
  db?: Db;
  logger?: Logger;
  /** Run migrations before serving (default true). */
  migrate?: boolean;
}

export function openConfiguredDatabase(config: Config): Db {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePool?.max, poolIdleSeconds: config.databasePool?.idleSeconds });
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = opts.db ?? openConfiguredDatabase(config);
  if (opts.migrate !== false) await migrateLatest(db);
  const keys = new KeyRing(config.masterKey);
  let boundUrl = '';
  const ctx: AppContext = { config, db, keys, logger, publicUrl: () => config.publicUrl ?? boundUrl };
  // Create the signing keys up front so the first requests of two replicas do not race for them.
  await keys.activeKey(db, 'audit');
  await keys.activeKey(db, 'jwt');
  const app = createApp(ctx);
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  boundUrl = `http://${host}:${addr.port}`;
  const stoppers: Array<() => Promise<void>> = [];
  for (const m of modules) if (m.start) stoppers.push(await m.start(ctx));
  return {
    url: boundUrl,
    ctx,
    async close() {
      for (const stop of stoppers.reverse()) await stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.destroy();
    },
  };
}
