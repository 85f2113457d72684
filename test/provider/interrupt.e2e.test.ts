/**
 * Ctrl-C while a create's POST is on its way (review r5 F1): the server commits the object
 * whatever happens to the connection, so the provider must still hear its answer and hand it
 * to Terraform. A proxy in front of the real control plane holds the POST's answer until the
 * provider has been asked to stop (its log says so) or the provider hung up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

interface HoldingProxy {
  url: string;
  /** Resolves when a POST to `route` has been answered by the control plane (and is being held). */
  held: Promise<void>;
  /** Whether the provider closed the held connection before its answer was sent. */
  hungUp: () => boolean;
  close(): Promise<void>;
}

/** Forwards everything to `upstream`; holds the answer of the first POST to `route` until `release()` says so or the caller hangs up. */
async function holdingProxy(upstream: string, route: string, release: () => boolean): Promise<HoldingProxy> {
  let heldResolve!: () => void;
  const held = new Promise<void>((r) => (heldResolve = r));
  let holding = false;
  let hungUp = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = http.request(new URL(req.url!, upstream), { method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          const reply = () => {
            res.writeHead(answer.statusCode!, answer.headers);
            res.end(Buffer.concat(body));
          };
          if (holding || req.method !== 'POST' || req.url !== route) return reply();
          holding = true;
          heldResolve();
          res.on('close', () => {
            if (!res.writableFinished) hungUp = true;
          });
          const poll = setInterval(() => {
            if (hungUp || release()) {
              clearInterval(poll);
              if (!hungUp) reply();
            }
          }, 50);
        });
      });
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    hungUp: () => hungUp,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('interrupting terraform during a create', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    t = await cp.createTenant();
  });
  after(async () => cp?.close());

  it('records the object the POST created when Ctrl-C comes while it is in flight; the next apply changes nothing', async () => {
    let logFile = '';
    const stopped = () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('stop requested');
    const proxy = await holdingProxy(cp.url, '/api/v1/identity/group-mappings', stopped);
    const ws = workspace({ env: { CLARESIA_ENDPOINT: proxy.url, CLARESIA_TOKEN: t.token } });
    logFile = path.join(ws.dir, 'tf.log');
    // The provider's "stop requested" line, as Terraform's log file carries it, says when
    // StopProvider has run.
    Object.assign(ws.env, { TF_LOG_PROVIDER: 'INFO', TF_LOG_PATH: logFile });
    try {
      ws.write('main.tf', `${providerBlock}resource "claresia_group_mapping" "o" {\n  group = "claresia-interrupted"\n  role  = "member"\n}\n`);
      const tf = spawn('terraform', ['apply', '-auto-approve', '-no-color'], { cwd: ws.dir, env: ws.env });
      let out = '';
      tf.stdout.on('data', (d) => (out += d));
      tf.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => tf.on('exit', (code) => r(code)));
      await proxy.held;
      tf.kill('SIGINT');
      await exited;
      assert.match(out, /Interrupt received/);
      assert.equal(proxy.hungUp(), false, `the provider abandoned the POST: ${out}`);

      const listed = await cp.request('GET', '/api/v1/identity/group-mappings', { token: t.token });
      const made = listed.body.items.filter((m: any) => m.group === 'claresia-interrupted');
      assert.equal(made.length, 1);
      const list = await ws.ok(['state', 'list']);
      assert.equal(list.stdout.trim(), 'claresia_group_mapping.o', `state after the interrupt: ${out}`);
      assert.equal(ws.state().resources[0].instances[0].attributes.id, made[0].id);

      await ws.ok(['plan', '-detailed-exitcode'], 0);
      const again = await ws.ok(['apply', '-auto-approve']);
      assert.match(again.stdout, /0 added, 0 changed, 0 destroyed/);
      assert.equal((await cp.request('GET', '/api/v1/identity/group-mappings', { token: t.token })).body.items.filter((m: any) => m.group === 'claresia-interrupted').length, 1);
    } finally {
      ws.close();
      await proxy.close();
    }
  });
});
