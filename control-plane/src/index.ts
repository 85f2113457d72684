export { loadConfig, type Config } from './config.js';
export { startServer, openConfiguredDatabase, type RunningServer } from './server.js';
export { openDatabase, type Db } from './db/connection.js';
export { migrateLatest } from './db/migrate.js';
export { verifyChain, appendEvent } from './audit/chain.js';
export { KeyRing } from './crypto/keys.js';
export type { AppContext } from './context.js';
export type { Module } from './modules/module.js';
