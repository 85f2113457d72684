import assert from 'node:assert/strict';
import { loadConfig } from '../../control-plane/src/config.js';
import { openConfiguredDatabase } from '../../control-plane/src/server.js';

const SERVER = { DATABASE_URL: 'postgres://claresia@127.0.0.1:1/nowhere', CLARESIA_OPERATOR_TOKEN: 'op_0123456789abcdef', CLARESIA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('control plane configuration: the PostgreSQL pool', () => {
  it('keeps up to 10 connections, each for 10 minutes unused, unless told otherwise', () => {
    assert.deepEqual(loadConfig(SERVER).databasePool, { max: 10, idleSeconds: 600 });
    assert.deepEqual(loadConfig({ ...SERVER, CLARESIA_DATABASE_POOL_MAX: '25', CLARESIA_DATABASE_POOL_IDLE_SECONDS: '30' }).databasePool, { max: 25, idleSeconds: 30 });
  });

  it('refuses a size or idle time that is not a positive integer, naming the variable', () => {
    for (const [name, bad] of [['CLARESIA_DATABASE_POOL_MAX', '0'], ['CLARESIA_DATABASE_POOL_MAX', 'ten'], ['CLARESIA_DATABASE_POOL_IDLE_SECONDS', '-5'], ['CLARESIA_DATABASE_POOL_IDLE_SECONDS', '1.5']]) {
      assert.throws(() => loadConfig({ ...SERVER, [name]: bad }), new RegExp(`^Error: ${name} must be a positive integer, got "${bad.replace('.', '\\.')}"`));
    }
  });

  it('gives the pool it opens those settings', async () => {
    const db = openConfiguredDatabase(loadConfig({ ...SERVER, CLARESIA_DATABASE_POOL_MAX: '7', CLARESIA_DATABASE_POOL_IDLE_SECONDS: '45' }));
    try {
      const pool = (db as unknown as { client: { pool: { max: number; min: number; idleTimeoutMillis: number } } }).client.pool;
      assert.deepEqual({ min: pool.min, max: pool.max, idle: pool.idleTimeoutMillis }, { min: 0, max: 7, idle: 45_000 });
      const connection = (db as unknown as { client: { config: { connection: Record<string, unknown> } } }).client.config.connection;
      assert.deepEqual({ keepAlive: connection.keepAlive, after: connection.keepAliveInitialDelayMillis }, { keepAlive: true, after: 60_000 }, 'idle pooled connections are kept alive through NATs');
    } finally {
      await db.destroy();
    }
  });
});

describe('control plane configuration: the operator token', () => {
  it('refuses at start-up a token no request could ever present: one with a "." (read as a JWT) or white space', () => {
    assert.throws(() => loadConfig({ ...SERVER, CLARESIA_OPERATOR_TOKEN: 'op_0123456789.abcdef' }), /^Error: CLARESIA_OPERATOR_TOKEN must not contain "\."/);
    assert.throws(() => loadConfig({ ...SERVER, CLARESIA_OPERATOR_TOKEN: 'op_0123456789 abcdef' }), /^Error: CLARESIA_OPERATOR_TOKEN must not contain white space/);
    assert.throws(() => loadConfig({ ...SERVER, CLARESIA_OPERATOR_TOKEN: 'op_0123456789abcdef\n' }), /^Error: CLARESIA_OPERATOR_TOKEN must not contain white space/);
    assert.equal(loadConfig({ ...SERVER, CLARESIA_OPERATOR_TOKEN: 'op_0123456789-abc_DEF' }).operatorToken, 'op_0123456789-abc_DEF');
  });
});
