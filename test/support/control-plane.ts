import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startServer, type Config, type RunningServer, type Db } from '@claresia/control-plane';
import { freshDatabase, type DbKind } from './db.js';
import { http, type HttpResult } from './http.js';

export interface TenantFixture {
  id: string;
  slug: string;
  clientId: string;
  clientSecret: string;
  /** A tenant JWT from POST /api/v1/auth/token. */
  token: string;
  body: Record<string, any>;
}

/** A control plane and its database, wherever the server runs. */
export interface ControlPlaneFixture {
  url: string;
  operatorToken: string;
  masterKey: string;
  db: Db;
  kind: DbKind;
  /** For a second replica or a child process: DATABASE_URL of the real server (pg only). */
  databaseUrl?: string;
  request<T = any>(method: string, path: string, opts?: Parameters<typeof http>[3]): Promise<HttpResult<T>>;
  /** Creates a tenant with the operator token and logs in as its first service account. */
  createTenant(overrides?: Record<string, unknown>): Promise<TenantFixture>;
  /** The Prometheus text of GET /metrics, scraped with the operator token (the endpoint is not public). */
  metrics(): Promise<string>;
  /** Rows in a table (optionally filtered): how tests prove that bad input wrote nothing. */
  count(table: string, where?: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

/** A control plane running in the test's own process. */
export interface TestControlPlane extends ControlPlaneFixture {
  server: RunningServer;
}

export interface StartOptions {
  db?: DbKind;
  config?: Partial<Config>;
  /** Capture logs (e.g. to prove no secret reaches them). */
  logger?: import('pino').Logger;
  /** Connections in the server's PostgreSQL pool (CLARESIA_DATABASE_POOL_MAX). */
  poolMax?: number;
  /** Given the database before the server starts: a query listener sees its workers' first passes too. */
  onDatabase?: (db: Db) => void;
}

/** Boots a real control plane on 127.0.0.1 (random port) over a fresh, migrated database. */
export async function startControlPlane(opts: StartOptions = {}): Promise<TestControlPlane> {
  const kind = opts.db ?? 'pglite';
  const tdb = await freshDatabase(kind, { poolMax: opts.poolMax });
  opts.onDatabase?.(tdb.db);
  const operatorToken = 'op_' + randomBytes(24).toString('base64url');
  const masterKey = randomBytes(32);
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    publicUrl: undefined,
    databaseUrl: tdb.url,
    dataDir: '/nonexistent',
    operatorToken,
    masterKey,
    tokenTtlSeconds: 3600,
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    generated: {},
    ...opts.config,
  };
  const server = await startServer(config, { db: tdb.db, ...(opts.logger ? { logger: opts.logger } : {}) });
  const base = fixture({ url: server.url, operatorToken, masterKey: masterKey.toString('base64'), db: tdb.db, kind, databaseUrl: tdb.url }, async () => {
    await server.close();
    await tdb.drop();
  });
  return { ...base, server };
}

/**
 * Runs `claresia-control-plane serve` in a process of its own, as it runs in production, over a
 * fresh, migrated PostgreSQL database; the fixture keeps a connection of its own to that
 * database. For measurements that should not share an event loop or a heap with the clients.
 */
export async function startControlPlaneProcess(opts: { env?: Record<string, string> } = {}): Promise<ControlPlaneFixture> {
  const tdb = await freshDatabase('pg');
  const operatorToken = 'op_' + randomBytes(24).toString('base64url');
  const masterKey = randomBytes(32).toString('base64');
  const cli = fileURLToPath(new URL('../../control-plane/src/cli.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: tdb.url, CLARESIA_OPERATOR_TOKEN: operatorToken, CLARESIA_MASTER_KEY: masterKey, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...opts.env };
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cli, 'serve'], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      if (err.length < 1 << 16) err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`claresia-control-plane serve exited before listening: ${err}`)));
  }).catch(async (e) => {
    await tdb.drop();
    throw e;
  });
  return fixture({ url, operatorToken, masterKey, db: tdb.db, kind: 'pg', databaseUrl: tdb.url }, async () => {
    proc.kill('SIGTERM');
    await exited;
    await tdb.drop();
  });
}

function fixture(
  base: Pick<ControlPlaneFixture, 'url' | 'operatorToken' | 'masterKey' | 'db' | 'kind' | 'databaseUrl'>,
  close: () => Promise<void>,
): ControlPlaneFixture {
  const { url, operatorToken, db } = base;
  let n = 0;
  return {
    ...base,
    request: (method, path, o) => http(url, method, path, o),
    async createTenant(overrides = {}) {
      n++;
      const slug = `t${n}-${randomBytes(3).toString('hex')}`;
      const res = await http(url, 'POST', '/api/v1/tenants', {
        token: operatorToken,
        body: { slug, display_name: `Tenant ${n}`, region: 'eu-west-1', deployment_mode: 'A', billing_contact: `billing@${slug}.example`, ...overrides },
      });
      if (res.status !== 201) throw new Error(`createTenant: ${res.status} ${res.text}`);
      const tok = await http(url, 'POST', '/api/v1/auth/token', {
        body: { grant_type: 'client_credentials', client_id: res.body.client_id, client_secret: res.body.client_secret },
      });
      if (tok.status !== 200) throw new Error(`token: ${tok.status} ${tok.text}`);
      return { id: res.body.id, slug: res.body.slug, clientId: res.body.client_id, clientSecret: res.body.client_secret, token: tok.body.access_token, body: res.body };
    },
    async metrics() {
      const res = await http(url, 'GET', '/metrics', { token: operatorToken });
      if (res.status !== 200) throw new Error(`metrics: ${res.status} ${res.text}`);
      return res.text;
    },
    async count(table, where = {}) {
      const [row] = await db(table).where(where).count<{ n: number }[]>({ n: '*' });
      return Number(row!.n);
    },
    close,
  };
}
