import knexFactory, { type Knex } from 'knex';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

// PostgreSQL returns bigint (int8) as strings by default; our counters fit in a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

export type Db = Knex;
export type Tx = Knex.Transaction;
/** Anything queries can run on: the pool or an open transaction. */
export type Queryable = Knex | Knex.Transaction;

export interface DbOptions {
  databaseUrl?: string;
  /** Directory for the embedded database; `null` keeps it in memory (tests). */
  dataDir?: string | null;
  poolMax?: number;
  /** How long a pooled connection may sit unused before it is closed (default 10 minutes). */
  poolIdleSeconds?: number;
  /** Where knex's own warnings go; without one knex prints them to stdout as plain text. */
  logger?: Logger;
}

/**
 * knex's warnings (a refused connection comes with its stack, once per query that waited for
 * it) as one JSON line each: the first line is the message, the rest only at debug level.
 */
/** knex repeats a warning for every pool acquire while the server is down: said again at most this often. */
const REPEAT_MS = 60_000;

function knexLog(logger: Logger): Knex.Config['log'] {
  const said = new Map<string, number>();
  const line = (level: 'debug' | 'warn' | 'error') => (message: unknown) => {
    const text = typeof message === 'string' ? message : JSON.stringify(message) ?? String(message);
    const [first, ...rest] = text.split('\n');
    const detail = rest.length && logger.isLevelEnabled('debug') ? { detail: rest.join('\n') } : {};
    const msg = first!.slice(0, 1000);
    const now = Date.now();
    const repeated = level !== 'debug' && now - (said.get(msg) ?? -Infinity) < REPEAT_MS;
    if (!repeated && level !== 'debug') {
      if (said.size >= 100) said.clear();
      said.set(msg, now);
    }
    logger[repeated ? 'debug' : level]({ source: 'knex', ...detail, ...(repeated ? { repeated: true } : {}) }, msg);
  };
  return { debug: line('debug'), warn: line('warn'), error: line('error'), deprecate: line('warn') };
}

export function openDatabase(opts: DbOptions): Db {
  // Here rather than at import, so a bad value is an ordinary start-up error naming the variable.
  namingStatements = preparedSetting();
  const log = opts.logger ? { log: knexLog(opts.logger) } : {};
  if (opts.databaseUrl) {
    return knexFactory({
      ...log,
      client: 'pg',
      // TCP keepalive after a minute idle: pooled connections may sit unused for minutes, longer
      // than many NATs and load balancers keep a silent flow (AWS NAT 350 s, Azure LB 4 min), and
      // a query on a silently dropped connection would hang until TCP gives up.
      connection: { connectionString: opts.databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: 60_000 },
      pool: { min: 0, max: opts.poolMax ?? 10, idleTimeoutMillis: (opts.poolIdleSeconds ?? 600) * 1000 },
    });
  }
  // knex-pglite is CommonJS and its module.exports is the client class itself.
  const require = createRequire(import.meta.url);
  const KnexPglite = require('knex-pglite');
  let connection: Record<string, string> = {};
  if (opts.dataDir) {
    const dir = path.join(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    connection = { filename: dir };
  }
  return knexFactory({ ...log, client: KnexPglite, dialect: 'postgres', connection } as Knex.Config);
}

/**
 * This process's workers of one kind (job runners, Hub provisioners), woken when a transaction
 * that gave them work commits: never before, when its rows would still be invisible to them,
 * and never for a rollback; outside a transaction, on the next turn.
 */
export class CommitWakers {
  private readonly all = new Set<() => void>();

  /** Registers a worker's wake function; returns what unregisters it. */
  add(wake: () => void): () => void {
    this.all.add(wake);
    return () => this.all.delete(wake);
  }

  afterCommit(db: Queryable): void {
    const wakeAll = () => {
      for (const w of this.all) w();
    };
    const trx = db as Knex.Transaction;
    if (trx.isTransaction && trx.executionPromise) trx.executionPromise.then(wakeAll, () => {});
    else setImmediate(wakeAll);
  }
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

/** The rows of a knex `raw()` answer: pg's result object on a server, the rows themselves on PGlite. */
export const rawRows = <T = any>(r: any): T[] => r?.rows ?? r ?? [];

const statementNames = new Map<string, string>();
/**
 * A connection pooler that moves sessions between clients (PgBouncer in transaction mode, before
 * 1.21) cannot carry named statements; CLARESIA_DATABASE_PREPARED=0 turns them off.
 */
export function preparedSetting(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.CLARESIA_DATABASE_PREPARED;
  if (raw !== undefined && raw !== '' && raw !== '0' && raw !== '1') throw new Error(`CLARESIA_DATABASE_PREPARED must be 0 or 1, got "${raw.slice(0, 40)}"`);
  return raw !== '0';
}
let namingStatements: boolean | undefined;

/**
 * Runs a statement as a named prepared statement on PostgreSQL: each connection parses it once,
 * and after a few runs PostgreSQL keeps one generic plan instead of planning every call, which
 * for a small lookup costs more than running it (0.45 -> 0.15 ms for the SCIM token check). Only
 * for statements whose best plan does not depend on their values: equality lookups, a LIKE prefix
 * only with its range as parameters too (a generic plan cannot read a range out of a pattern);
 * and never with `*` columns, whose cached plan fails once a migration adds a column
 * (to_jsonb(row) is fine: its type stays jsonb). The name is derived from the text, as
 * node-postgres requires one text per name per connection. PGlite runs it as it is.
 */
export function prepared<Q extends Knex.Raw | Knex.QueryBuilder>(q: Q): Q {
  if (!(namingStatements ??= preparedSetting()) || (q as unknown as { client: Knex.Client }).client.config.client !== 'pg') return q;
  const sql = q.toSQL().sql;
  let name = statementNames.get(sql);
  if (!name) {
    name = `c${statementNames.size.toString(36)}`;
    // A fixed set of statement shapes comes through here; a bound keeps a mistake from growing without end.
    if (statementNames.size < 500) statementNames.set(sql, name);
    else return q;
  }
  return (q as unknown as { options(o: object): Q }).options({ name });
}
