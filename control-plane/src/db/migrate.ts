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

const migrationConfig = { migrationSource: new DirectorySource(), tableName: 'knex_migrations' };

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

export async function pendingMigrations(db: Db): Promise<number> {
  const [, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]];
  return pending.length;
}
