/**
 * One HTTP exchange over node:http(s). Node's fetch (undici) costs 25-40 ms to load on first
 * use, and the Terraform provider is a new process for every step of a run: its first API call
 * paid that while Terraform waited. node:http is loaded already (the provider's gRPC server
 * needs it).
 *
 * Like fetch: an aborted signal rejects with the signal's reason (a TimeoutError for
 * AbortSignal.timeout), whether it fires before the answer or while the body is read.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { ClaresiaConfigError } from './errors.js';

/**
 * The provider's launcher (provider/bin) hands NODE_EXTRA_CA_CERTS over as
 * CLARESIA_EXTRA_CA_CERTS: Node reads and parses that file before any JavaScript runs (~50 ms
 * for a system bundle, on each of the three launches of a plan), and most launches make no
 * HTTPS call. It means the same here: Node's own roots and these, read at the first HTTPS request.
 */
let extraRoots: https.Agent | undefined;
function agentFor(url: URL): https.Agent | undefined {
  const file = process.env.CLARESIA_EXTRA_CA_CERTS;
  if (url.protocol !== 'https:' || !file) return undefined;
  if (!extraRoots) {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ClaresiaConfigError(`the certificates named by NODE_EXTRA_CA_CERTS (${file}) cannot be read: ${(err as Error).message}`);
    }
    // keepAlive as Node's global agent has it.
    extraRoots = new https.Agent({ keepAlive: true, ca: [...tls.rootCertificates, pem] });
  }
  return extraRoots;
}

export interface AnswerHeaders {
  /** The header's value (repeated headers joined with ", "), or null. */
  get(name: string): string | null;
}

export interface Answer {
  status: number;
  statusText: string;
  ok: boolean;
  headers: AnswerHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface Exchange {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export function send(url: URL, x: Exchange): Promise<Answer> {
  const { signal } = x;
  return new Promise<Answer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const headers = x.body === undefined ? x.headers : { ...x.headers, 'Content-Length': String(Buffer.byteLength(x.body)) };
    const agent = agentFor(url);
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: x.method, headers, ...(agent ? { agent } : {}) });
    const onAbort = () => req.destroy(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    req.once('error', (err) => {
      done();
      reject(signal.aborted ? signal.reason : err);
    });
    req.once('response', (res) => {
      // The body is always read (an answer not wanted is small: an error or a 429).
      const body = new Promise<string>((ok, fail) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          done();
          ok(Buffer.concat(chunks).toString('utf8'));
        });
        res.once('error', (err) => {
          done();
          fail(signal.aborted ? signal.reason : err);
        });
      });
      // Rejections surface through text()/json(); an unread body must not warn as unhandled.
      body.catch(() => undefined);
      const status = res.statusCode ?? 0;
      resolve({
        status,
        statusText: res.statusMessage ?? '',
        ok: status >= 200 && status < 300,
        headers: {
          get: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
        },
        text: () => body,
        json: () => body.then((t) => JSON.parse(t) as unknown),
      });
    });
    req.end(x.body);
  });
}
