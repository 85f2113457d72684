import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDatabase, type Db } from '@claresia/control-plane';

export type DbKind = 'pglite' | 'pg';

/**
 * The databases every integration suite runs against: the embedded default always, and the
 * real PostgreSQL server named by TEST_DATABASE_URL. CI sets CLARESIA_TEST_REQUIRE_PG=1 so a
 * missing server fails the run instead of silently testing half.
 */
export function dbKinds(): DbKind[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'pg'];
  if (process.env.CLARESIA_TEST_REQUIRE_PG === '1') throw new Error('TEST_DATABASE_URL is not set but CLARESIA_TEST_REQUIRE_PG=1');
  return ['pglite'];
}

export interface TestDatabase {
  kind: DbKind;
  db: Db;
  /** For the real server: a URL another process (a second replica) can connect to. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database: its own PGlite instance, or its own database on the server, with a pool
 * of `poolMax` connections there (the server's default otherwise; PGlite has one connection).
 */
export async function freshDatabase(kind: DbKind, opts: { poolMax?: number } = {}): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = openDatabase({ dataDir: null });
    return { kind, db, drop: () => db.destroy() };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `claresia_t_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = openDatabase({ databaseUrl: url, poolMax: opts.poolMax });
  return {
    kind,
    db,
    url,
    async drop() {
      await db.destroy();
      // An autovacuum worker may be busy in the database (tables with many deleted rows, like the
      // job queue's), and FORCE may not terminate it without superuser rights; it finishes soon.
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          break;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (attempt >= 50 || (code !== '42501' && code !== '55006')) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await admin.destroy();
    },
  };
}
