/**
 * The bundled provider as Terraform meets it: launched with the magic cookie and a client
 * certificate, one handshake line, mutual TLS that trusts only that client, the go-plugin
 * services, tfplugin6 calls with their error paths, and shutdown.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encode as mpEncode } from '@msgpack/msgpack';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { decode, encode, type MessageSpec } from '../../provider/src/proto/wire.js';
import * as tf from '../../provider/src/proto/tfplugin6.js';
import { HealthCheckRequest, HealthCheckResponse } from '../../provider/src/proto/go-plugin.js';
import { buildProvider, providerDir } from './support/terraform.js';

const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

interface Launched {
  proc: ChildProcess;
  line: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function launch(env: Record<string, string>, executable = path.join(providerDir, 'bin/terraform-provider-claresia')): Promise<Launched> {
  const proc = spawn(executable, [], { env: { PATH: process.env.PATH!, ...env } });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc, line: out.split('\n')[0]!, stderr: () => err, exited });
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code} before handshake: ${err}`)));
  });
}

function unary(client: grpc.Client, pathName: string, req: MessageSpec, res: MessageSpec, value: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(pathName, (v: Record<string, unknown>) => encode(req, v), (b: Buffer) => decode(res, b), value, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

describe('provider plugin process', function () {
  this.timeout(30_000);
  before(() => buildProvider());

  it('refuses to run without the magic cookie, with a human message and nothing on stdout', async () => {
    const proc = spawn(path.join(providerDir, 'bin/terraform-provider-claresia'), [], { env: { PATH: process.env.PATH! } });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => proc.on('exit', r));
    assert.equal(code, 1);
    assert.equal(out, '');
    assert.match(err, /This binary is a plugin/);
  });

  it('listens on TCP when the socket directory is too deep for a unix socket path', async () => {
    const deep = mkdtempSync(path.join(tmpdir(), 'claresia-deep-'));
    const dir = path.join(deep, 'd'.repeat(100));
    mkdirSync(dir);
    try {
      const p = await launch({ TF_PLUGIN_MAGIC_COOKIE: COOKIE, PLUGIN_CLIENT_CERT: generateServerCertificate().certPem, PLUGIN_UNIX_SOCKET_DIR: dir });
      p.proc.kill('SIGTERM');
      await p.exited;
      const [, , net, addr] = p.line.split('|');
      assert.equal(net, 'tcp');
      assert.match(addr!, /^127\.0\.0\.1:\d+$/);
    } finally {
      rmSync(deep, { recursive: true, force: true });
    }
  });

  it('ships a V8 code cache that this Node accepts for the bundle it was built from', () => {
    // The build writes it when a launch that played a whole session exits (build.mjs).
    const dist = path.join(providerDir, 'dist');
    const stamp = statSync(path.join(dist, 'provider.cjs'));
    const caches = readdirSync(dist).filter((f) => f.endsWith('.cache'));
    assert.deepEqual(caches, [`provider.cjs.${stamp.size}-${Math.floor(stamp.mtimeMs)}.${process.version}.cache`]);
    // Checked in a fresh Node, as the launcher meets it: V8 rejects a cache made under other V8
    // flags, and a library loaded into this test process (the Pulumi SDK) sets one.
    const check = `const fs = require('node:fs'), vm = require('node:vm'), Module = require('node:module');
      const [bundle, cache] = process.argv.slice(1);
      const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData: fs.readFileSync(cache) });
      process.stdout.write(String(script.cachedDataRejected));`;
    const out = execFileSync(process.execPath, ['-e', check, path.join(dist, 'provider.cjs'), path.join(dist, caches[0]!)], { env: { PATH: process.env.PATH! } });
    assert.equal(String(out), 'false');
  });

  it('finds its bundle when launched through a symlink or by a relative path', async () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'claresia-link-'));
    try {
      const link = path.join(elsewhere, 'terraform-provider-claresia');
      symlinkSync(path.relative(elsewhere, path.join(providerDir, 'bin/terraform-provider-claresia')), link);
      for (const executable of [link, './bin/terraform-provider-claresia']) {
        const proc = spawn(executable, [], { cwd: providerDir, env: { PATH: process.env.PATH!, TF_PLUGIN_MAGIC_COOKIE: COOKIE, PLUGIN_CLIENT_CERT: '' } });
        const line = await new Promise<string>((resolve, reject) => {
          proc.stdout.once('data', (d) => resolve(String(d)));
          proc.on('exit', (code) => reject(new Error(`${executable} exited ${code} before its handshake`)));
        });
        assert.match(line, /^1\|6\|unix\|/, executable);
        proc.kill('SIGTERM');
        await new Promise((r) => proc.on('exit', r));
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('hands NODE_EXTRA_CA_CERTS to its API client instead of Node, which would parse it at every start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'claresia-env-'));
    try {
      // A stand-in for node that only notes the environment the launcher gives it.
      const wrapper = path.join(dir, 'node-env.sh');
      writeFileSync(wrapper, `#!/bin/sh\nenv > '${dir}/env'\n`);
      chmodSync(wrapper, 0o755);
      const run = (env: Record<string, string>) =>
        new Promise<Record<string, string>>((resolve, reject) => {
          const proc = spawn(path.join(providerDir, 'bin/terraform-provider-claresia'), [], { env: { PATH: process.env.PATH!, CLARESIA_NODE: wrapper, ...env } });
          proc.on('error', reject);
          proc.on('exit', () => resolve(Object.fromEntries(readFileSync(path.join(dir, 'env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))));
        });
      const moved = await run({ NODE_EXTRA_CA_CERTS: '/etc/corp/ca bundle.pem' });
      assert.equal(moved.NODE_EXTRA_CA_CERTS, undefined);
      assert.equal(moved.CLARESIA_EXTRA_CA_CERTS, '/etc/corp/ca bundle.pem');
      const none = await run({});
      assert.equal(none.NODE_EXTRA_CA_CERTS, undefined);
      assert.equal(none.CLARESIA_EXTRA_CA_CERTS, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with AutoMTLS', () => {
    const clientCert = generateServerCertificate();
    let p: Launched;
    let client: grpc.Client;
    let socket: string;

    before(async () => {
      p = await launch({ TF_PLUGIN_MAGIC_COOKIE: COOKIE, PLUGIN_CLIENT_CERT: clientCert.certPem });
      const [core, proto, net, addr, kind, cert] = p.line.split('|');
      assert.deepEqual([core, proto, net, kind], ['1', '6', 'unix', 'grpc']);
      // A socket in a directory only its user can enter, as go-plugin's own servers make.
      assert.ok(statSync(addr!).isSocket());
      assert.equal(statSync(path.dirname(addr!)).mode & 0o777, 0o700);
      socket = addr!;
      assert.doesNotMatch(cert!, /=/, 'base64 without padding');
      const der = Buffer.from(cert!, 'base64');
      const serverPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
      const creds = grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem));
      client = new grpc.Client(`unix:${addr}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
    });
    after(() => {
      client?.close();
      p?.proc.kill('SIGKILL');
    });

    it('answers the health check', async () => {
      const res = await unary(client, '/grpc.health.v1.Health/Check', HealthCheckRequest, HealthCheckResponse, { service: 'plugin' });
      assert.equal(res.status, 1);
    });

    it('rejects a client presenting any other certificate', async () => {
      const stranger = generateServerCertificate();
      const [, , , addr, , cert] = p.line.split('|');
      const serverPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert!, 'base64').toString('base64')}\n-----END CERTIFICATE-----\n`;
      const other = new grpc.Client(`unix:${addr}`, grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)), {
        'grpc.ssl_target_name_override': 'localhost',
      });
      await assert.rejects(unary(other, '/grpc.health.v1.Health/Check', HealthCheckRequest, HealthCheckResponse, {}), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
      other.close();
    });

    it('rejects a client presenting no certificate', async () => {
      const [, , , addr, , cert] = p.line.split('|');
      const serverPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert!, 'base64').toString('base64')}\n-----END CERTIFICATE-----\n`;
      const anonymous = new grpc.Client(`unix:${addr}`, grpc.credentials.createSsl(Buffer.from(serverPem)), { 'grpc.ssl_target_name_override': 'localhost' });
      await assert.rejects(unary(anonymous, '/grpc.health.v1.Health/Check', HealthCheckRequest, HealthCheckResponse, {}), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
      anonymous.close();
      assert.match(p.stderr(), /refused a connection presenting a certificate other than terraform/);
    });

    it('serves the catalog-derived schema', async () => {
      const res = await unary(client, '/tfplugin6.Provider/GetProviderSchema', tf.Empty, tf.GetProviderSchemaResponse, {});
      const tenant = res.resource_schemas.claresia_tenant;
      assert.equal(tenant.version, 1);
      const byName = Object.fromEntries(tenant.block.attributes.map((a: any) => [a.name, a]));
      assert.equal(byName.slug.required, true);
      assert.equal(byName.support_tier.optional && byName.support_tier.computed, true);
      assert.equal(byName.client_secret.sensitive, true);
      assert.equal(Buffer.from(byName.id.type).toString(), '"string"');
      assert.match(byName.region.description, /Changing it replaces the resource/);
      assert.ok(res.provider.block.attributes.some((a: any) => a.name === 'token' && a.sensitive));
    });

    it('turns malformed values and unknown types into diagnostics, not crashes', async () => {
      const bad = await unary(client, '/tfplugin6.Provider/ValidateResourceConfig', tf.ValidateResourceConfigRequest, tf.DiagnosticsAt1, {
        type_name: 'claresia_tenant',
        config: { msgpack: Buffer.from(mpEncode({ slug: ['not', 'a', 'string'] })) },
      });
      assert.equal(bad.diagnostics[0].severity, 1);
      assert.match(bad.diagnostics[0].detail, /slug: expected string/);
      const unknown = await unary(client, '/tfplugin6.Provider/PlanResourceChange', tf.PlanResourceChangeRequest, tf.PlanResourceChangeResponse, { type_name: 'claresia_nope' });
      assert.match(unknown.diagnostics[0].summary, /unknown resource type claresia_nope/);
    });

    it('plans a create with computed values unknown without calling any API', async () => {
      const config = { slug: 'acme', display_name: 'Acme', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'b@acme.example', support_tier: null, id: null, status: null, created_at: null, client_id: null, client_secret: null };
      const dv = { msgpack: Buffer.from(mpEncode(config)) };
      const res = await unary(client, '/tfplugin6.Provider/PlanResourceChange', tf.PlanResourceChangeRequest, tf.PlanResourceChangeResponse, {
        type_name: 'claresia_tenant',
        prior_state: { msgpack: Buffer.from([0xc0]) },
        proposed_new_state: dv,
        config: dv,
      });
      assert.deepEqual(res.diagnostics, []);
      const { decodeMsgpack, resourceType } = await import('@claresia/terraform-provider');
      const { resourceByName } = await import('@claresia/catalog');
      const planned = decodeMsgpack(resourceType(resourceByName('tenant')), res.planned_state.msgpack) as any;
      assert.equal(typeof planned.id, 'symbol', 'id unknown');
      assert.equal(planned.support_tier, 'standard', 'the default is planned');
      assert.equal(planned.slug, 'acme');
    });

    it('shuts down when the controller asks, after answering', async () => {
      await unary(client, '/plugin.GRPCController/Shutdown', tf.Empty, tf.Empty, {});
      assert.equal(await p.exited, 0);
      assert.equal(existsSync(path.dirname(socket)), false, 'the socket and its directory are removed');
      // Every stderr line is a log record Terraform's plugin logger can parse.
      for (const line of p.stderr().trim().split('\n').filter(Boolean)) assert.ok(JSON.parse(line)['@level'], line);
      assert.doesNotMatch(p.stderr(), /rpc failed/);
    });
  });
});
