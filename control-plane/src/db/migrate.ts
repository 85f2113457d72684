import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './connection.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are the files in ./migrations, ordered by name (NNNN_description). Listing the
 * directory works the same from TypeScript sources and from compiled JavaScript.
 */
class DirectorySource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(dir)
      .filter((f) => /^\d{4}_.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  }
  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }
  async getMigration(file: string): Promise<Migration> {
    return (await import(pathToFileURL(path.join(dir, file)).href)) as Migration;
  }
}

const source = new DirectorySource();
const migrationConfig = { migrationSource: source, tableName: 'knex_migrations' };

/** Where the database's schema stands against the migrations this release ships. */
export interface MigrationState {
  /** This release's migrations not applied yet. */
  pending: string[];
  /** Applied migrations this release does not ship: a newer release migrated the database. */
  unknown: string[];
}

/**
 * The database holds migrations this release does not know: a newer release applied them.
 * knex would say "the migration directory is corrupt", which sends an operator looking for a
 * broken install; this says what happened and what to do.
 */
export class SchemaNewerError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `the database schema is newer than this release: it holds migrations this release does not ship (${unknown.join(', ')}), ` +
        'applied by a newer release. Run that release (or a newer one) against this database, or, to go back to this release, ' +
        'restore the backup taken before the upgrade (see "Upgrading" in README.md)',
    );
    this.name = 'SchemaNewerError';
  }
}

export async function migrationState(db: Db): Promise<MigrationState> {
  // Without knex's check, which throws on applied migrations it cannot find: those are
  // counted here instead.
  const [completed, pending] = (await db.migrate.list({ ...migrationConfig, disableMigrationsListValidation: true })) as [Array<{ name: string }>, string[]];
  const shipped = new Set((await source.getMigrations()).map((f) => source.getMigrationName(f)));
  return {
    pending: pending.map((f) => source.getMigrationName(f)),
    unknown: completed.map((m) => m.name).filter((name) => !shipped.has(name)),
  };
}

export async function migrateLatest(db: Db): Promise<string[]> {
  try {
    const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
    return applied;
  } catch (err) {
    // knex refuses before applying anything; looked up only then, to keep start-up to its queries.
    const { unknown } = await migrationState(db).catch(() => ({ unknown: [] as string[] }));
    if (unknown.length) throw new SchemaNewerError(unknown);
    throw err;
  }
}

export async function pendingMigrations(db: Db): Promise<number> {
  return (await migrationState(db)).pending.length;
}
