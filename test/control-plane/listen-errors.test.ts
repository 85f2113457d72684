import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { startServer, type Config } from '@claresia/control-plane';
import { freshDatabase, type TestDatabase } from '../support/db.js';

/**
 * Where the control plane cannot listen, start-up says so in terms of HOST and PORT, the
 * settings the operator can change, rather than as a bare getaddrinfo or listen error.
 * The embedded database only: listening does not depend on which one it is.
 */
describe('serve cannot listen', function () {
  this.timeout(60_000);
  let tdb: TestDatabase;
  // One key for both tests: the first start stores signing keys sealed with it.
  const masterKey = randomBytes(32);
  const config = (over: Partial<Config>): Config => ({
    port: 0, host: '127.0.0.1', publicUrl: undefined, databaseUrl: undefined, dataDir: '/nonexistent',
    operatorToken: 'op_' + randomBytes(24).toString('base64url'), masterKey, tokenTtlSeconds: 3600, logLevel: 'silent', generated: {}, ...over,
  });
  before(async () => {
    tdb = await freshDatabase('pglite');
  });
  after(async () => tdb?.drop());

  it('names HOST when it does not resolve', async () => {
    await assert.rejects(startServer(config({ host: 'nonexistent.invalid' }), { db: tdb.db }), /^Error: HOST "nonexistent\.invalid" cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('names PORT when it is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      await assert.rejects(startServer(config({ port }), { db: tdb.db }), new RegExp(`^Error: PORT ${port} on HOST "127\\.0\\.0\\.1" is already in use \\(EADDRINUSE\\)$`));
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
