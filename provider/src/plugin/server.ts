/**
 * The go-plugin side of the provider: a gRPC server behind AutoMTLS, the services Terraform
 * calls on every plugin (health, controller, stdio, broker), and the handshake line.
 */
import * as grpc from '@grpc/grpc-js';
import { encode, decode, type MessageSpec } from '../proto/wire.js';
import { HealthCheckRequest, HealthCheckResponse, SERVING, StdioData } from '../proto/go-plugin.js';
import { Empty, ProviderMethods } from '../proto/tfplugin6.js';
import { generateServerCertificate } from './certificate.js';
import { listen, type Listening, type TlsIdentity } from './listener.js';
import { log, logs } from './log.js';

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

export type UnaryHandler = (request: any) => Promise<Record<string, unknown>>;
/** Resolves the tfplugin6 handlers; lets the caller load them after the handshake is out. */
export type ProviderHandlers = () => Promise<Record<string, UnaryHandler>>;

function method(service: string, name: string, req: MessageSpec, res: MessageSpec, requestStream = false, responseStream = false) {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    originalName: name,
    requestSerialize: (v: Record<string, unknown>) => encode(req, v),
    requestDeserialize: (b: Buffer) => decode(req, b),
    responseSerialize: (v: Record<string, unknown>) => encode(res, v),
    responseDeserialize: (b: Buffer) => decode(res, b),
  };
}

function unary(fn: (req: any) => Promise<Record<string, unknown>>) {
  return (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
    fn(call.request).then(
      (res) => cb(null, res),
      (err: Error) => {
        log('error', 'rpc failed', { error: err.message });
        cb({ code: grpc.status.INTERNAL, details: err.message });
      },
    );
  };
}

export interface ServeOptions {
  handlers: ProviderHandlers;
  /** Called when Terraform asks the plugin to stop (controller Shutdown). */
  onShutdown?: () => void;
}

export interface Served {
  server: grpc.Server;
  handshake: string;
  shutdown(): Promise<void>;
}

/**
 * Binds the server and returns the handshake line (core 1, protocol 6, address, grpc, cert).
 * With PLUGIN_CLIENT_CERT set, serves TLS that trusts only Terraform's certificate.
 */
export async function serve(opts: ServeOptions): Promise<Served> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 << 20,
    'grpc.max_send_message_length': 256 << 20,
    // Channelz bookkeeping costs on every call and nothing here reads it.
    'grpc.enable_channelz': 0,
  });

  const providerService: Record<string, grpc.MethodDefinition<any, any>> = {};
  const providerImpl: grpc.UntypedServiceImplementation = {};
  // Once loaded, handlers are called directly: a plan makes hundreds of calls per launch.
  let loaded: Record<string, UnaryHandler> | undefined;
  const timed = logs('trace');
  for (const [name, [req, res]] of Object.entries(ProviderMethods)) {
    providerService[name] = method('tfplugin6.Provider', name, req, res);
    providerImpl[name] = unary(async (request) => {
      const t0 = timed ? performance.now() : 0;
      const h = (loaded ??= await opts.handlers())[name];
      if (!h) throw new Error(`${name} is not implemented`);
      const res = await h(request);
      if (timed) log('trace', 'rpc', { method: name, ms: Math.round((performance.now() - t0) * 10) / 10 });
      return res;
    });
  }
  server.addService(providerService as grpc.ServiceDefinition, providerImpl);

  server.addService(
    { Check: method('grpc.health.v1.Health', 'Check', HealthCheckRequest, HealthCheckResponse) },
    { Check: unary(async () => ({ status: SERVING })) },
  );

  let listening: Listening | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= new Promise<void>((resolve) => {
      listening?.close();
      // Let in-flight answers (including Shutdown's own) go out, then force the rest.
      server.tryShutdown(() => resolve());
      setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000).unref();
    }));

  server.addService(
    { Shutdown: method('plugin.GRPCController', 'Shutdown', Empty, Empty) },
    {
      Shutdown: (_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
        log('debug', 'shutdown requested by terraform');
        cb(null, {});
        setImmediate(() => {
          void shutdown().then(() => opts.onShutdown?.());
        });
      },
    },
  );

  // Terraform reads the plugin's stderr directly; the stream only has to stay open.
  server.addService(
    { StreamStdio: method('plugin.GRPCStdio', 'StreamStdio', Empty, StdioData, false, true) },
    { StreamStdio: (call: grpc.ServerWritableStream<any, any>) => void call },
  );
  // No provider here dials back through the broker; accept the stream and ignore it.
  server.addService(
    { StartStream: method('plugin.GRPCBroker', 'StartStream', Empty, Empty, true, true) },
    {
      StartStream: (call: grpc.ServerDuplexStream<any, any>) => {
        call.on('data', () => {});
        call.on('error', () => {});
      },
    },
  );

  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  let identity: TlsIdentity | undefined;
  let certField = '';
  if (clientCert) {
    const cert = generateServerCertificate();
    identity = { certPem: cert.certPem, keyPem: cert.keyPem, clientCertPem: clientCert };
    certField = cert.der.toString('base64').replace(/=+$/, '');
  }
  listening = await listen(server, identity);
  return { server, handshake: `1|6|${listening.endpoint}|grpc|${certField}`, shutdown };
}
