import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateLatest, openDatabase, startServer, type Db, type RunningServer } from '@claresia/control-plane';
import { dbKinds, freshDatabase, type TestDatabase } from '../support/db.js';
import { http } from '../support/http.js';
import { until, withEnv } from '../support/until.js';
import { captureLogs } from '../support/cli.js';

/** A TCP relay in front of PostgreSQL that the test can pull out (connections refused) and put back. */
interface Relay {
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const down = async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
  };
  return { port, down, up: async () => void (await listen(port)), close: () => (server.listening ? down() : Promise.resolve()) };
}

describe('the database out of reach [pg]', function () {
  this.timeout(120_000);
  let tdb: TestDatabase;
  let relay: Relay;
  let db: Db;
  let srv: RunningServer;
  const logs = captureLogs('debug');
  const operatorToken = 'op_' + randomBytes(24).toString('base64url');

  before(async function () {
    // PGlite runs in this process: it cannot become unreachable.
    if (!dbKinds().includes('pg')) this.skip();
    tdb = await freshDatabase('pg');
    await migrateLatest(tdb.db);
    const direct = new URL(tdb.url!);
    relay = await startRelay({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(tdb.url!);
    relayed.port = String(relay.port);
    db = openDatabase({ databaseUrl: relayed.toString(), logger: logs.logger });
    const restore = withEnv({ CLARESIA_JOBS_POLL_MS: '50', CLARESIA_JOBS_IDLE_POLL_MS: '400', CLARESIA_HUB_POLL_MS: '50', CLARESIA_HUB_IDLE_POLL_MS: '400' });
    try {
      srv = await startServer(
        { port: 0, host: '127.0.0.1', publicUrl: undefined, databaseUrl: relayed.toString(), dataDir: '/nonexistent', operatorToken, masterKey: randomBytes(32), tokenTtlSeconds: 3600, logLevel: 'debug', generated: {} },
        { db, logger: logs.logger, migrate: false },
      );
    } finally {
      restore();
    }
  });
  after(async () => {
    await srv?.close();
    await db?.destroy();
    await relay?.close();
    await tdb?.drop();
  });

  it('API and SCIM answer 503 database_unavailable with Retry-After, the job runner backs off and logs the outage once, and all recover', async () => {
    const tenant = await http(srv.url, 'POST', '/api/v1/tenants', {
      token: operatorToken,
      body: { slug: 'outage', display_name: 'Outage', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@outage.example' },
    });
    assert.equal(tenant.status, 201, tenant.text);
    const login = await http(srv.url, 'POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: tenant.body.client_id, client_secret: tenant.body.client_secret } });
    const dir = await http(srv.url, 'POST', '/api/v1/identity/scim/configure', { token: login.body.access_token, body: { idp: 'okta' } });
    assert.equal(dir.status, 201, dir.text);
    const scimUsers = `/scim/v2/${dir.body.id}/Users`;
    const before = logs.lines.length;

    await relay.down();
    const api = await http(srv.url, 'GET', '/api/v1/tenants?limit=1', { token: operatorToken });
    assert.equal(api.status, 503, api.text);
    assert.equal(api.body.error.code, 'database_unavailable');
    assert.equal(api.headers.get('retry-after'), '5');
    const scim = await http(srv.url, 'GET', scimUsers, { token: dir.body.bearer_token });
    assert.equal(scim.status, 503, scim.text);
    assert.match(scim.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(scim.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(scim.body.status, '503');
    assert.equal(scim.headers.get('retry-after'), '5');
    const write = await http(srv.url, 'POST', scimUsers, { token: dir.body.bearer_token, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@outage.example' } });
    assert.equal(write.status, 503, write.text);
    assert.equal((await http(srv.url, 'GET', '/readyz')).body.status, 'database_unavailable');
    // The scrape still answers, saying the database is down, without queue figures it cannot know.
    const scrape = await http(srv.url, 'GET', '/metrics', { token: operatorToken });
    assert.equal(scrape.status, 200);
    assert.match(scrape.text, /^claresia_database_up 0$/m);
    assert.doesNotMatch(scrape.text, /^claresia_jobs_ready\{/m);

    const during = () => logs.lines.slice(before);
    await until('six failed claims in a row', () => during().some((l) => l.msg === 'job claim failed' && l.failures >= 6), 60_000);
    const claimErrors = during().filter((l) => l.level >= 50 && /claim/.test(l.msg));
    assert.equal(claimErrors.length, 1, JSON.stringify(claimErrors));
    assert.equal(claimErrors[0]!.retryInMs, 50);
    const waits = during().filter((l) => l.msg === 'job claim failed').slice(0, 5).map((l) => l.retryInMs);
    assert.deepEqual(waits, [100, 200, 400, 400, 400], 'each failed claim doubles the wait, up to the idle poll');
    await until('the Hub provisioner failing a few passes too', () => during().some((l) => /^hub provisioner pass failed/.test(l.msg) && l.failures >= 4), 60_000);
    const hubErrors = during().filter((l) => l.level >= 50 && /hub provisioner/.test(l.msg));
    assert.equal(hubErrors.length, 1, `the provisioner logs the outage once: ${JSON.stringify(hubErrors)}`);
    const hubWaits = during().filter((l) => /^hub provisioner pass failed/.test(l.msg)).slice(0, 4).map((l) => l.retryInMs);
    assert.deepEqual(hubWaits, [50, 100, 200, 400], 'each failed pass doubles the wait, up to the idle poll');
    assert.ok(!during().some((l) => /unhandled error/.test(l.msg)), 'an outage is not logged as a bug');
    assert.ok(during().some((l) => l.source === 'knex' && /^Acquire connection error/.test(l.msg)), "knex's warnings come through the logger");
    const acquireWarnings = during().filter((l) => l.source === 'knex' && l.level >= 40 && /^Acquire connection error/.test(l.msg));
    assert.ok(new Set(acquireWarnings.map((l) => l.msg)).size === acquireWarnings.length, `each knex warning said once a minute at most: ${acquireWarnings.length}`);

    await relay.up();
    await until('readyz again', async () => (await http(srv.url, 'GET', '/readyz')).status === 200, 30_000);
    assert.equal((await http(srv.url, 'GET', '/api/v1/tenants?limit=1', { token: operatorToken })).status, 200);
    assert.match((await http(srv.url, 'GET', '/metrics', { token: operatorToken })).text, /^claresia_database_up 1$/m);
    const created = await http(srv.url, 'POST', scimUsers, { token: dir.body.bearer_token, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@outage.example' } });
    assert.equal(created.status, 201, created.text);
    await until('the runner claiming again', () => during().some((l) => /claiming again/.test(l.msg)), 30_000);
    assert.equal(during().filter((l) => /claiming again/.test(l.msg)).length, 1);
    await until('the Hub provisioner working again', () => during().some((l) => /hub provisioner: passes work again/.test(l.msg)), 30_000);
    // The LISTEN connection: lost once at warn, its failed reconnects at debug, back once at info.
    const listen = during().filter((l) => /LISTEN/.test(l.msg) && l.level >= 40);
    assert.deepEqual(listen.map((l) => l.msg), ['jobs: LISTEN connection lost; polling until it is back'], JSON.stringify(listen));
    await until('LISTEN back', () => during().some((l) => l.msg === 'jobs: LISTEN connection back'), 60_000);
  });
});

describe('the CLI with a database it cannot use', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-outage-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'migrate'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });

  it('logs knex warnings as JSON lines on stdout, nothing else', () => {
    const r = cli({
      DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none',
      CLARESIA_OPERATOR_TOKEN: 'op_' + randomBytes(24).toString('base64url'),
      CLARESIA_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 1, 'knex warned about the refused connection');
    for (const l of lines) assert.equal(JSON.parse(l).source, 'knex', l);
  });

  it('refuses CLARESIA_DATABASE_PREPARED=2 with an ordinary error line naming it', () => {
    const r = cli({ DATABASE_URL: '', CLARESIA_DATA_DIR: dir, CLARESIA_DATABASE_PREPARED: '2' });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'error: CLARESIA_DATABASE_PREPARED must be 0 or 1, got "2"\n');
  });
});
