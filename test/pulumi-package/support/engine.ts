/**
 * Plays the Pulumi engine's part without a Pulumi CLI: builds the plugin, launches
 * `pulumi-resource-claresia` the way the engine does (engine address as the argument, port on
 * the first line of stdout) and calls it over gRPC with the engine's own ResourceProviderClient.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import services from '@pulumi/pulumi/proto/provider_grpc_pb.js';
import pb from '@pulumi/pulumi/proto/provider_pb.js';
import structPb from 'google-protobuf/google/protobuf/struct_pb.js';

export { pb };
export const pulumiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../pulumi-package');
export const SIG = '4dabf18193072939515e22adb298388d';
export const SECRET = '1b47061264138c4ac30d75fd1eb44270';
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export const secret = (value: unknown) => ({ [SIG]: SECRET, value });
export const isSecret = (v: unknown): v is { value: unknown } => typeof v === 'object' && v !== null && (v as any)[SIG] === SECRET;

let built = false;
/** The plugin as shipped: the esbuild bundle the launcher runs. */
export function buildPlugin() {
  if (built) return;
  execFileSync('node', ['build.mjs'], { cwd: pulumiDir, stdio: 'inherit' });
  built = true;
}

export const struct = (v: Record<string, unknown>) => structPb.Struct.fromJavaScript(v as any);
export const js = (s: InstanceType<typeof structPb.Struct> | undefined) => (s?.toJavaScript() ?? {}) as Record<string, any>;

export interface Plugin {
  proc: ChildProcess;
  client: InstanceType<typeof services.ResourceProviderClient>;
  stderr(): string;
  /** From spawn to the port on stdout. */
  startupMs: number;
  /** Calls one unary method, e.g. call('create', req). */
  call<T = any>(method: string, req: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** `engine`: the address passed as the engine's (nothing listens at the default one). */
export async function launchPlugin(env: Record<string, string> = {}, engine = '127.0.0.1:1'): Promise<Plugin> {
  buildPlugin();
  const started = Date.now();
  // The engine passes its own address; the plugin must start without reaching it.
  const proc = spawn(path.join(pulumiDir, 'bin/pulumi-resource-claresia'), [engine], { env: { PATH: process.env.PATH!, ...env } });
  // A run cut short (mocha exits, a timeout) must not leave plugins behind.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  proc.once('exit', () => process.removeListener('exit', reap));
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n');
      if (line.length > 1) resolve(Number(line[0]));
    });
    proc.on('exit', (code) => reject(new Error(`plugin exited ${code} before printing its port: ${err}`)));
  });
  const startupMs = Date.now() - started;
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const exited = new Promise((r) => proc.on('exit', r));
  return {
    proc,
    client,
    stderr: () => err,
    call: (method, req) =>
      new Promise((resolve, reject) => (client as any)[method](req, (e: Error | null, res: unknown) => (e ? reject(e) : resolve(res as any)))),
    async stop() {
      client.close();
      proc.kill('SIGTERM');
      await exited;
    },
    startupMs,
  };
}

/** The engine's request objects, built from plain values. */
export const req = {
  configure(args: Record<string, unknown>) {
    const r = new pb.ConfigureRequest();
    r.setArgs(struct(args));
    r.setAcceptsecrets(true);
    r.setAcceptresources(true);
    return r;
  },
  checkConfig(news: Record<string, unknown>) {
    const r = new pb.CheckRequest();
    r.setUrn('urn:pulumi:dev::proj::pulumi:providers:claresia::default');
    r.setOlds(struct({}));
    r.setNews(struct(news));
    return r;
  },
  check(urn: string, news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = new pb.CheckRequest();
    r.setUrn(urn);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    return r;
  },
  diff(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>, oldInputs?: Record<string, unknown>) {
    const r = new pb.DiffRequest();
    r.setUrn(urn);
    r.setId(id);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    if (oldInputs) r.setOldInputs(struct(oldInputs));
    return r;
  },
  create(urn: string, props: Record<string, unknown>, preview = false, timeout = 0) {
    const r = new pb.CreateRequest();
    r.setUrn(urn);
    r.setProperties(struct(props));
    r.setPreview(preview);
    r.setTimeout(timeout);
    return r;
  },
  read(urn: string, id: string, props: Record<string, unknown>, inputs?: Record<string, unknown>) {
    const r = new pb.ReadRequest();
    r.setUrn(urn);
    r.setId(id);
    r.setProperties(struct(props));
    if (inputs) r.setInputs(struct(inputs));
    return r;
  },
  update(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>, preview = false, oldInputs?: Record<string, unknown>) {
    const r = new pb.UpdateRequest();
    r.setUrn(urn);
    r.setId(id);
    r.setOlds(struct(olds));
    r.setNews(struct(news));
    r.setPreview(preview);
    if (oldInputs) r.setOldInputs(struct(oldInputs));
    return r;
  },
  delete(urn: string, id: string, props: Record<string, unknown>) {
    const r = new pb.DeleteRequest();
    r.setUrn(urn);
    r.setId(id);
    r.setProperties(struct(props));
    return r;
  },
};

export const urnOf = (type: string, name: string) => `urn:pulumi:dev::claresia-test::claresia:index:${type}::${name}`;
