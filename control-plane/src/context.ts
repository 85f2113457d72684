import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/connection.js';
import type { KeyRing } from './crypto/keys.js';

/** What every module gets: shared, stateless services. Nothing here holds per-replica state. */
export interface AppContext {
  config: Config;
  db: Db;
  keys: KeyRing;
  logger: Logger;
  /** The URL callers reach this control plane at (CLARESIA_PUBLIC_URL or the bound address). */
  publicUrl(): string;
}
