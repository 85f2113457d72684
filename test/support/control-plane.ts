import { randomBytes } from 'node:crypto';
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

export interface TestControlPlane {
  url: string;
  operatorToken: string;
  masterKey: string;
  db: Db;
  kind: DbKind;
  /** For a second replica or a child process: DATABASE_URL of the real server (pg only). */
  databaseUrl?: string;
  server: RunningServer;
  request<T = any>(method: string, path: string, opts?: Parameters<typeof http>[3]): Promise<HttpResult<T>>;
  /** Creates a tenant with the operator token and logs in as its first service account. */
  createTenant(overrides?: Record<string, unknown>): Promise<TenantFixture>;
  /** Rows in a table (optionally filtered): how tests prove that bad input wrote nothing. */
  count(table: string, where?: Record<string, unknown>): Promise<number>;
  close(): Promise<void>;
}

export interface StartOptions {
  db?: DbKind;
  config?: Partial<Config>;
  /** Capture logs (e.g. to prove no secret reaches them). */
  logger?: import('pino').Logger;
}

/** Boots a real control plane on 127.0.0.1 (random port) over a fresh, migrated database. */
export async function startControlPlane(opts: StartOptions = {}): Promise<TestControlPlane> {
  const kind = opts.db ?? 'pglite';
  const tdb = await freshDatabase(kind);
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
  let n = 0;
  const cp: TestControlPlane = {
    url: server.url,
    operatorToken,
    masterKey: masterKey.toString('base64'),
    db: tdb.db,
    kind,
    databaseUrl: tdb.url,
    server,
    request: (method, path, o) => http(server.url, method, path, o),
    async createTenant(overrides = {}) {
      n++;
      const slug = `t${n}-${randomBytes(3).toString('hex')}`;
      const res = await http(server.url, 'POST', '/api/v1/tenants', {
        token: operatorToken,
        body: { slug, display_name: `Tenant ${n}`, region: 'eu-west-1', deployment_mode: 'A', billing_contact: `billing@${slug}.example`, ...overrides },
      });
      if (res.status !== 201) throw new Error(`createTenant: ${res.status} ${res.text}`);
      const tok = await http(server.url, 'POST', '/api/v1/auth/token', {
        body: { grant_type: 'client_credentials', client_id: res.body.client_id, client_secret: res.body.client_secret },
      });
      if (tok.status !== 200) throw new Error(`token: ${tok.status} ${tok.text}`);
      return { id: res.body.id, slug: res.body.slug, clientId: res.body.client_id, clientSecret: res.body.client_secret, token: tok.body.access_token, body: res.body };
    },
    async count(table, where = {}) {
      const [row] = await tdb.db(table).where(where).count<{ n: number }[]>({ n: '*' });
      return Number(row!.n);
    },
    async close() {
      await server.close();
      await tdb.drop();
    },
  };
  return cp;
}
