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

describe('control plane configuration: values that would break the service are refused naming the variable (review r4 F5)', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['CLARESIA_TOKEN_TTL_SECONDS', '0', /^Error: CLARESIA_TOKEN_TTL_SECONDS must be a whole number from 60 to 86400, got "0"/],
    ['CLARESIA_TOKEN_TTL_SECONDS', '59', /^Error: CLARESIA_TOKEN_TTL_SECONDS must be a whole number from 60 to 86400/],
    ['CLARESIA_TOKEN_TTL_SECONDS', '86401', /^Error: CLARESIA_TOKEN_TTL_SECONDS must be a whole number from 60 to 86400/],
    ['CLARESIA_PUBLIC_URL', 'not-a-url', /^Error: CLARESIA_PUBLIC_URL must be an absolute http\(s\) URL .*got "not-a-url"/],
    ['CLARESIA_PUBLIC_URL', 'ftp://cp.example.com', /^Error: CLARESIA_PUBLIC_URL must be an http\(s\) URL, got "ftp:\/\/cp\.example\.com"/],
    ['CLARESIA_PUBLIC_URL', 'https://cp.example.com/?x=1', /^Error: CLARESIA_PUBLIC_URL must not have a query or fragment/],
    ['CLARESIA_PUBLIC_URL', 'https://cp.example.com/#top', /^Error: CLARESIA_PUBLIC_URL must not have a query or fragment/],
    ['CLARESIA_PUBLIC_URL', 'https://cp.example.com?', /^Error: CLARESIA_PUBLIC_URL must not have a query or fragment/],
    ['CLARESIA_PUBLIC_URL', 'https://u:p@cp.example.com', /^Error: CLARESIA_PUBLIC_URL must not carry a user name or password$/],
    ['CLARESIA_ALLOW_PRIVATE_URLS', 'yes', /^Error: CLARESIA_ALLOW_PRIVATE_URLS must be 0, 1, true or false, got "yes"/],
    ['CLARESIA_ALLOW_PRIVATE_URLS', 'on', /^Error: CLARESIA_ALLOW_PRIVATE_URLS must be 0, 1, true or false/],
    ['LOG_LEVEL', 'verbose', /^Error: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"/],
    ['PORT', '99999', /^Error: PORT must be a whole number from 0 to 65535, got "99999"/],
    ['PORT', '-1', /^Error: PORT must be a whole number from 0 to 65535/],
    // Number() would read these as 80, 10, 5 and 5 (review v3 F3).
    ['PORT', '0x50', /^Error: PORT must be a whole number from 0 to 65535, got "0x50"/],
    ['PORT', '1e1', /^Error: PORT must be a whole number/],
    ['PORT', '+5', /^Error: PORT must be a whole number/],
    ['PORT', ' 5', /^Error: PORT must be a whole number/],
    ['DATABASE_URL', 'mysql://x', /^Error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL, got a mysql: URL/],
    ['DATABASE_URL', 'claresia@db/claresia', /^Error: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL \(/],
  ];
  for (const [name, value, message] of refused) {
    it(`${name}=${value}`, () => assert.throws(() => loadConfig({ ...SERVER, [name]: value }), message));
  }

  it('never echoes a refused DATABASE_URL beyond its scheme (it may hold the password)', () => {
    assert.throws(() => loadConfig({ ...SERVER, DATABASE_URL: 'mysql://app:s3cret-pw@db/x' }), (err: Error) => !err.message.includes('s3cret') && !err.message.includes('app:'));
  });

  it('takes the values the README documents', () => {
    const c = loadConfig({
      ...SERVER,
      DATABASE_URL: 'postgresql://claresia@db.internal/claresia',
      CLARESIA_TOKEN_TTL_SECONDS: '60',
      CLARESIA_PUBLIC_URL: 'https://cp.example.com/claresia/',
      CLARESIA_ALLOW_PRIVATE_URLS: 'true',
      LOG_LEVEL: 'debug',
      PORT: '0',
    });
    assert.deepEqual(
      [c.databaseUrl, c.tokenTtlSeconds, c.publicUrl, c.allowPrivateUrls, c.logLevel, c.port],
      ['postgresql://claresia@db.internal/claresia', 60, 'https://cp.example.com/claresia', true, 'debug', 0],
    );
    assert.equal(loadConfig({ ...SERVER, CLARESIA_TOKEN_TTL_SECONDS: '86400', PORT: '65535' }).tokenTtlSeconds, 86400);
    for (const [v, on] of [['1', true], ['TRUE', true], ['0', false], ['false', false], ['', false]] as const) {
      assert.equal(loadConfig({ ...SERVER, CLARESIA_ALLOW_PRIVATE_URLS: v }).allowPrivateUrls, on, v);
    }
    assert.equal(loadConfig({ ...SERVER, LOG_LEVEL: 'silent' }).logLevel, 'silent');
    assert.equal(loadConfig(SERVER).logLevel, 'info');
  });
});
