/**
 * Build step, not part of the provider: `build.mjs` bundles this and runs it once against the
 * fresh bundle. It plays a Terraform session over AutoMTLS (schema, validate, configure, then
 * validate/upgrade/read/plan/import of every resource type and a validate of every data
 * source, then Shutdown) so that the V8 code cache the launcher writes when that process
 * exits holds the bytecode of what a session runs. A cache written right after start-up held
 * none of it, and every launch compiled gRPC's call path, the codecs and the handlers again.
 * No API is configured: the requests are the ones Terraform sends, the answers do not matter.
 */
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { dataSources, resources, type Attribute } from '@claresia/catalog';
import { generateServerCertificate } from './plugin/certificate.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './plugin/server.js';
import { decode, encode, type MessageSpec } from './proto/wire.js';
import * as tf from './proto/tfplugin6.js';
import { StdioData } from './proto/go-plugin.js';
import { dynamic, encodeJson, fromJsonValue } from './values/codec.js';
import type { CtyType, ObjectValue } from './values/cty.js';
import { ctyTypeOf, providerType, resourceType } from './schema.js';

const [launcher] = process.argv.slice(2);
if (!launcher) throw new Error('usage: warm-code-cache <path to bin/launch.cjs>');

/** The catalog's example values: a configuration (and, with computed examples, a state). */
function exampleObject(type: CtyType, attributes: Record<string, Attribute>, withComputed: boolean): ObjectValue {
  const out: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(attributes)) {
    if (attr.example === undefined || attr.writeOnly || (attr.mode === 'computed' && !withComputed)) continue;
    out[name] = attr.example;
  }
  try {
    return fromJsonValue(type, out) as ObjectValue;
  } catch {
    // An example the type does not take: all-null still walks the same code.
    return fromJsonValue(type, {}) as ObjectValue;
  }
}

async function main(launcherPath: string): Promise<void> {
  const clientCert = generateServerCertificate();
  const proc = spawn(process.execPath, [launcherPath], {
    env: { PATH: process.env.PATH ?? '', [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: clientCert.certPem },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    proc.on('exit', (code) => reject(new Error(`provider exited ${code} before its handshake`)));
  });
  const [, , network, address, , cert] = line.split('|');
  const serverPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert!, 'base64').toString('base64')}\n-----END CERTIFICATE-----\n`;
  const client = new grpc.Client(network === 'unix' ? `unix:${address}` : address!, grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  const call = (method: string, value: Record<string, unknown> = {}) => {
    const [req, res] = tf.ProviderMethods[method] ?? [tf.Empty, tf.Empty];
    return unary(client, `/tfplugin6.Provider/${method}`, req, res, value);
  };
  const stdio = client.makeServerStreamRequest('/plugin.GRPCStdio/StreamStdio', (v: Record<string, unknown>) => encode(tf.Empty, v), (b: Buffer) => decode(StdioData, b), {});
  stdio.on('error', () => {});

  await call('GetProviderSchema');
  await call('GetMetadata');
  const providerConfig = dynamic(providerType, fromJsonValue(providerType, {}));
  await call('ValidateProviderConfig', { config: providerConfig });
  await call('ConfigureProvider', { terraform_version: '1.11.4', config: providerConfig, client_capabilities: { deferral_allowed: true, write_only_attributes_allowed: true } });
  for (const def of resources) {
    const type_name = `claresia_${def.name}`;
    const type = resourceType(def);
    const config = dynamic(type, exampleObject(type, def.attributes, false));
    const stateValue = exampleObject(type, def.attributes, true);
    const state = dynamic(type, stateValue);
    await call('ValidateResourceConfig', { type_name, config, client_capabilities: { write_only_attributes_allowed: true } });
    await call('UpgradeResourceState', { type_name, version: def.schemaVersion, raw_state: { json: encodeJson(type, stateValue) } });
    await call('ReadResource', { type_name, current_state: state });
    await call('PlanResourceChange', { type_name, prior_state: state, proposed_new_state: state, config });
    await call('PlanResourceChange', { type_name, prior_state: dynamic(type, null), proposed_new_state: config, config });
    await call('ImportResourceState', { type_name, id: def.importId.example });
  }
  for (const def of dataSources) {
    const type = { object: Object.fromEntries(Object.entries(def.attributes).map(([k, a]) => [k, ctyTypeOf(a.type)])) };
    const config = dynamic(type, exampleObject(type, def.attributes, false));
    await call('ValidateDataResourceConfig', { type_name: `claresia_${def.name}`, config });
  }
  await unary(client, '/plugin.GRPCController/Shutdown', tf.Empty, tf.Empty, {});
  stdio.cancel();
  client.close();
  const code = await exited;
  if (code !== 0) throw new Error(`provider exited ${code} after Shutdown`);
}

function unary(client: grpc.Client, path: string, req: MessageSpec, res: MessageSpec, value: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, (v: Record<string, unknown>) => encode(req, v), (b: Buffer) => decode(res, b), value, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

main(launcher).catch((err: Error) => {
  process.stderr.write(`warming the code cache failed: ${err.message}\n`);
  process.exit(1);
});
