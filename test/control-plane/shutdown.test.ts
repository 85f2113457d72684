import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { captureLogs } from '../support/cli.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { http as request } from '../support/http.js';
import { startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { until, withEnv } from '../support/until.js';

/** SAML metadata the test hands out only when it lets it go: a request made slow on purpose. */
interface HeldMetadata {
  url: string;
  waiting: number;
  release(): void;
  close(): Promise<void>;
}

async function heldMetadata(xml: string): Promise<HeldMetadata> {
  let open = () => {};
  const gate = new Promise<void>((r) => (open = r));
  const server = http.createServer(async (_req, res) => {
    held.waiting++;
    await gate;
    held.waiting--;
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(xml);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const held: HeldMetadata = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`,
    waiting: 0,
    release: () => open(),
    close() {
      open();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  return held;
}

function watch<T>(p: Promise<T>) {
  const w = { settled: false, result: p };
  void p.finally(() => (w.settled = true)).catch(() => {});
  return w;
}

/** The whole answer to whatever was written on `socket`, read until the server closes it. */
function readUntilClosed(socket: net.Socket): Promise<string> {
  let text = '';
  socket.on('data', (d) => (text += d));
  return new Promise((resolve, reject) => {
    socket.once('close', () => resolve(text));
    socket.once('error', reject);
  });
}

const configure = (cp: TestControlPlane, token: string, metadataUrl: string) =>
  cp.request('POST', '/api/v1/identity/sso/configure', { token, body: { name: 'Slow IdP', protocol: 'saml', metadata_url: metadataUrl } });

for (const kind of dbKinds()) {
  describe(`shutdown drains the requests in flight [${kind}]`, function () {
    this.timeout(120_000);
    let saml: SamlIdp;
    let held: HeldMetadata | undefined;
    let cp: TestControlPlane | undefined;
    before(async () => {
      saml = await startSamlIdp();
    });
    afterEach(async () => {
      await held?.close();
      await cp?.close();
      held = cp = undefined;
    });
    after(async () => saml?.close());

    it('refuses new connections and says shutting_down at once, answers the slow request in flight, then stops', async () => {
      const logs = captureLogs('info');
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger });
      const t = await cp.createTenant();
      held = await heldMetadata(saml.metadataXml());
      const { port } = new URL(cp.url);

      // A load balancer's readiness probe whose request is on its way when the shutdown begins.
      const probe = net.connect(Number(port), '127.0.0.1');
      await new Promise((r) => probe.once('connect', r));
      await new Promise((r) => probe.write('GET /readyz HTTP/1.1\r\nHost: cp\r\n', r));
      const probeAnswer = readUntilClosed(probe);

      const slow = watch(configure(cp, t.token, held.url));
      await until('the configure waiting on the IdP', () => held!.waiting === 1);

      const stopping = watch(cp.server.close());
      const refused = await new Promise<string | undefined>((resolve) => {
        const s = net.connect(Number(port), '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(undefined)));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      });
      assert.equal(refused, 'ECONNREFUSED', 'a new connection is refused');
      probe.write('\r\n');
      const answer = await probeAnswer;
      assert.match(answer, /^HTTP\/1\.1 503 /);
      assert.match(answer, /\r\nconnection: close\r\n/i);
      assert.match(answer, /\{"status":"shutting_down"\}$/);
      assert.equal(slow.settled, false, 'the slow request is still being worked');
      assert.equal(stopping.settled, false, 'the shutdown waits for it');

      held.release();
      const res = await slow.result;
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.get('connection'), 'close');
      await stopping.result;
      assert.equal(await cp.count('sso_connections', { tenant_id: t.id }), 1);

      const order = logs.lines.filter((l) => ['shutting down', 'stopped'].includes(l.msg) || l.route === '/api/v1/identity/sso/configure').map((l) => l.msg === 'request' ? `request ${l.status}` : l.msg);
      assert.deepEqual(order, ['shutting down', 'request 201', 'stopped']);
      assert.equal(logs.lines.find((l) => l.msg === 'shutting down')?.requests_in_flight, 1);
    });

    it('cuts what is still in flight once the grace period is over, and stops', async () => {
      const logs = captureLogs('info');
      const restore = withEnv({ CLARESIA_SHUTDOWN_GRACE_SECONDS: '0' });
      try {
        cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true }, logger: logs.logger });
      } finally {
        restore();
      }
      const t = await cp.createTenant();
      held = await heldMetadata(saml.metadataXml());
      const slow = watch(configure(cp, t.token, held.url));
      await until('the configure waiting on the IdP', () => held!.waiting === 1);
      await cp.server.close();
      await assert.rejects(slow.result, /fetch failed/);
      assert.ok(logs.lines.some((l) => l.msg.startsWith('shutdown grace period over') && l.requests_cut === 1), JSON.stringify(logs.lines.slice(-3)));
      assert.equal(logs.lines.at(-1)?.msg, 'stopped');
    });
  });
}

describe('claresia-control-plane serve on SIGTERM', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-sigterm-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Ctrl-C in a terminal, systemd's KillMode=control-group and container inits signal the whole
  // process group: the launcher forwards the signal to serve, which also gets it directly.
  for (const [how, group] of [
    ['sent to serve', false],
    ['sent to the process group of the launcher (twice over: directly and forwarded)', true],
  ] as const)
  it(`answers the request in flight, logs shutting down and stopped as JSON, and exits 0: SIGTERM ${how}`, async () => {
    const saml = await startSamlIdp();
    const held = await heldMetadata(saml.metadataXml());
    const env: NodeJS.ProcessEnv = { ...process.env, CLARESIA_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', CLARESIA_ALLOW_PRIVATE_URLS: '1' };
    delete env.DATABASE_URL;
    delete env.CLARESIA_OPERATOR_TOKEN;
    delete env.CLARESIA_MASTER_KEY;
    const proc = group
      ? spawn(process.execPath, ['control-plane/bin/claresia-control-plane.js', 'serve'], { env, detached: true })
      : spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env });
    const signal = (sig: NodeJS.Signals) => (group ? process.kill(-proc.pid!, sig) : proc.kill(sig));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    try {
      const url = await until('serve listening', () => /listening on (http:\/\/\S+)/.exec(err)?.[1], 60_000);
      const op = readFileSync(path.join(dir, 'operator-token'), 'utf8').trim();
      const created = await request(url, 'POST', '/api/v1/tenants', {
        token: op,
        body: { slug: group ? 'sigterm-group' : 'sigterm', display_name: 'Sigterm', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@sigterm.example' },
      });
      assert.equal(created.status, 201, created.text);
      const login = await request(url, 'POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: created.body.client_id, client_secret: created.body.client_secret } });
      const slow = watch(request(url, 'POST', '/api/v1/identity/sso/configure', { token: login.body.access_token, body: { name: 'Slow IdP', protocol: 'saml', metadata_url: held.url } }));
      await until('the configure waiting on the IdP', () => held.waiting === 1);

      signal('SIGTERM');
      await until('"shutting down" logged', () => out.includes('"msg":"shutting down"'));
      assert.equal(slow.settled, false);
      held.release();
      const res = await slow.result;
      assert.equal(res.status, 201, res.text);
      assert.equal(await exited, 0, err);
      const lines = out.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.filter((l) => l.msg !== 'request' && /shutting down|stopped/.test(l.msg)).map((l) => l.msg), ['shutting down', 'stopped']);
    } finally {
      try {
        signal('SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
      await held.close();
      await saml.close();
    }
  });

  it('refuses a grace period that is not a whole number of seconds, naming the variable', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CLARESIA_DATA_DIR: dir, PORT: '0', CLARESIA_SHUTDOWN_GRACE_SECONDS: '2.5' };
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'error: CLARESIA_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 3600, got "2.5"\n');
  });
});
