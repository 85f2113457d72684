import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  eventId: string;
  signature: string;
  body: string;
  json: any;
  /** What the receiver answered. */
  status: number;
  /** When the request arrived, and when it was answered. */
  arrivedAt: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every request that reached it, answered with whatever status it had at the time. */
  received: Received[];
  /** Requests answered 2xx, i.e. events the receiver accepted. */
  accepted(): Received[];
  /** The status it answers with from now on (200 by default). */
  answer(status: number): void;
  /** Stops listening (connections are refused) / listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A customer's webhook endpoint: records each POST, answers with a settable status, can be taken down and brought back. */
export async function startWebhookReceiver(opts: { delayMs?: number } = {}): Promise<WebhookReceiver> {
  const received: Received[] = [];
  let status = 200;
  const handler: http.RequestListener = (req, res) => {
    const arrivedAt = Date.now();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* recorded as is */
      }
      // Recorded when it answers: an event counts as accepted only once its 2xx has been sent.
      const answer = status;
      setTimeout(() => {
        received.push({ eventId: String(req.headers['x-claresia-event-id'] ?? ''), signature: String(req.headers['x-claresia-signature'] ?? ''), body, json, status: answer, arrivedAt, at: Date.now() });
        res.writeHead(answer, { 'content-type': 'text/plain' });
        res.end('ok');
      }, opts.delayMs ?? 0);
    });
  };
  let server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return {
    url: `http://127.0.0.1:${port}/hooks/claresia`,
    port,
    received,
    accepted: () => received.filter((x) => x.status >= 200 && x.status < 300),
    answer(s) {
      status = s;
    },
    down: stop,
    async up() {
      server = http.createServer(handler);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
