import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface BlackHole {
  /** An https:// URL whose host accepts connections and never answers (no TLS handshake). */
  url: string;
  /** Connections open now, and the most ever open at once: how many probes a caller ran in parallel. */
  readonly open: number;
  readonly maxOpen: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** A customer's endpoint that has stopped answering: every probe of it runs until its timeout. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let maxOpen = 0;
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    // Counted once the I/O of this turn is read: a client that hung up one connection just before
    // opening the next may reach this process as both events at once, in either order.
    setImmediate(() => (maxOpen = Math.max(maxOpen, sockets.size)));
    socket.on('error', () => socket.destroy());
    // Read and drop what the client sends: a paused socket would never see the client hang up.
    socket.resume();
    socket.on('end', () => sockets.delete(socket));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/claresia`,
    get open() {
      return sockets.size;
    },
    get maxOpen() {
      return maxOpen;
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
