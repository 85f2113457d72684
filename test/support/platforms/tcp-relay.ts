import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpRelay {
  /** The port callers use; the same one across stop() and start(). */
  port: number;
  /** Takes the address off the network: connections refused, those open cut. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** From now on, accepts connections but holds them unanswered until release(): a check caught in flight. */
  hold(): void;
  /** Whether it is on the network now. */
  readonly listening: boolean;
  /** Connections held so far. */
  readonly held: number;
  /** Forwards the held connections and stops holding. */
  release(): void;
}

/**
 * A TCP relay on loopback in front of another server, which can go away and come back on the
 * same port: a customer's endpoint that drops off the network, with everything behind it (its
 * certificates, its trust store) unchanged.
 */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const open = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let holding: net.Socket[] | undefined;
  const forward = (client: net.Socket) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  };
  const listen = async () => {
    const s = net.createServer((client) => {
      open.add(client);
      if (holding) holding.push(client);
      else forward(client);
    });
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const sock of open) sock.destroy();
      open.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start: listen,
    get listening() {
      return server !== undefined;
    },
    hold() {
      holding = [];
    },
    get held() {
      return holding?.length ?? 0;
    },
    release() {
      const waiting = holding ?? [];
      holding = undefined;
      for (const client of waiting) if (!client.destroyed) forward(client);
    },
  };
}
