/**
 * Where Terraform connects: a unix socket (TCP where none can be made), TLS that admits only
 * the client certificate Terraform handed over, and the grpc-js server behind it.
 *
 * TLS is terminated here rather than by grpc-js's own secure server because that one trusts
 * a client through a CA list, and Node builds every CA list on top of its ~140 bundled root
 * certificates: parsing them cost ~35 ms of every launch, and any of those roots could then
 * vouch for a client. Here the context has no CA at all, the handshake asks for a client
 * certificate without judging it, and the connection is kept only when that certificate is
 * byte for byte the one in PLUGIN_CLIENT_CERT.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { log } from './log.js';

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
  /** Terraform's client certificate (PEM), the only one admitted. */
  clientCertPem: string;
}

export interface Listening {
  /** The handshake's network and address fields, e.g. `unix|/tmp/.../grpc.sock`. */
  endpoint: string;
  /** Stops accepting connections (those open are the gRPC server's to close). */
  close(): void;
}

export async function listen(server: grpc.Server, identity: TlsIdentity | undefined): Promise<Listening> {
  // Connections reach grpc-js with TLS already done: its own side is plain HTTP/2.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  let listener: net.Server;
  if (identity) {
    const admitted = new X509Certificate(identity.clientCertPem).raw;
    listener = tls.createServer(
      { cert: identity.certPem, key: identity.keyPem, ca: [], requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['h2'], minVersion: 'TLSv1.2' },
      (secure) => {
        const presented = secure.getPeerX509Certificate();
        if (!presented || !presented.raw.equals(admitted)) {
          log('warn', 'refused a connection presenting a certificate other than terraform’s');
          secure.destroy();
          return;
        }
        injector.injectConnection(secure);
      },
    );
    listener.on('tlsClientError', (err) => log('debug', 'TLS handshake failed', { error: err.message }));
  } else {
    listener = net.createServer((socket) => injector.injectConnection(socket));
  }
  const socketPath = unixSocketPath();
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    if (socketPath) listener.listen(socketPath, () => resolve());
    else listener.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = socketPath ? `unix|${socketPath}` : `tcp|127.0.0.1:${(listener.address() as net.AddressInfo).port}`;
  return { endpoint, close: () => listener.close() };
}

/**
 * A unix socket, as go-plugin's own servers use outside Windows (no TCP port, no loopback
 * address machinery). In a private directory (go-plugin's PLUGIN_UNIX_SOCKET_DIR when set),
 * removed at exit; a process killed outright leaves it behind, as a Go plugin's does.
 */
function unixSocketPath(): string | undefined {
  if (process.platform === 'win32') return undefined;
  let dir: string;
  try {
    dir = mkdtempSync(path.join(process.env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'claresia-plugin-'));
  } catch (err) {
    log('warn', 'no directory for a unix socket; listening on TCP', { error: (err as Error).message });
    return undefined;
  }
  const socket = path.join(dir, 'grpc.sock');
  process.once('exit', () => {
    for (const remove of [() => unlinkSync(socket), () => rmdirSync(dir)]) {
      try {
        remove();
      } catch {
        // Already gone (or never bound): nothing to clean.
      }
    }
  });
  // sun_path holds 108 bytes; a deep temporary directory falls back to TCP.
  return Buffer.byteLength(socket) < 100 ? socket : undefined;
}
