/**
 * The Pulumi engine's `pulumirpc.Engine` service, the part a resource provider calls: Log. It
 * records every message, so a test can see what a `pulumi up` would print against a resource.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import services from '@pulumi/pulumi/proto/engine_grpc_pb.js';
import enginePb from '@pulumi/pulumi/proto/engine_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';

export const Severity = enginePb.LogSeverity;

export interface LoggedMessage {
  severity: number;
  message: string;
  urn: string;
}

export interface TestEngine {
  /** host:port, as the engine passes it to a plugin. */
  address: string;
  logs: LoggedMessage[];
  close(): Promise<void>;
}

export async function startTestEngine(): Promise<TestEngine> {
  const logs: LoggedMessage[] = [];
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback({ code: grpc.status.UNIMPLEMENTED });
  server.addService(services.EngineService, {
    log(call: grpc.ServerUnaryCall<InstanceType<typeof enginePb.LogRequest>, unknown>, callback: grpc.sendUnaryData<unknown>) {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
      callback(null, new emptyPb.Empty());
    },
    getRootResource: unimplemented,
    setRootResource: unimplemented,
    startDebugging: unimplemented,
    requirePulumiVersion: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    logs,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** An engine gone silent: it accepts connections and never answers a byte. */
export async function startSilentEngine(): Promise<{ address: string; connections(): number; close(): Promise<void> }> {
  const held = new Set<Socket>();
  let connections = 0;
  const server: NetServer = createServer((socket) => {
    connections++;
    held.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    connections: () => connections,
    async close() {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
