import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { firstNonPublic, isPublicAddress } from './address-policy.js';

/** What an outbound request may do. The defaults suit fetching a metadata or discovery document. */
export interface FetchPolicy {
  /** Reach private/loopback addresses and plain http (development and tests only). */
  allowPrivate?: boolean;
  /** Whole request, connection to last byte. */
  timeoutMs?: number;
  /** Largest response body accepted. */
  maxBytes?: number;
  maxRedirects?: number;
}

export type OutboundFailure = 'invalid_url' | 'scheme_not_allowed' | 'address_not_allowed' | 'dns' | 'timeout' | 'too_large' | 'too_many_redirects' | 'network';

/** Why an outbound request was refused or failed; the message names no secret and no body. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface GuardedInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array | URLSearchParams | null;
  /** 'manual' hands redirects back to the caller, as fetch does. */
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal | null;
}

const DEFAULTS = { timeoutMs: 10_000, maxBytes: 1024 * 1024, maxRedirects: 3 };
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Parses and checks a URL before any connection: scheme and literal addresses. */
export function checkOutboundUrl(raw: string | URL, policy: FetchPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new OutboundError('invalid_url', 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    throw new OutboundError('scheme_not_allowed', 'must be an https:// URL');
  }
  if (url.username || url.password) throw new OutboundError('invalid_url', 'must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !policy.allowPrivate && !isPublicAddress(host)) {
    throw new OutboundError('address_not_allowed', 'points to a private, loopback or reserved address');
  }
  return url;
}

/**
 * Resolves a name and refuses it if any address is not public. Checking inside the socket's
 * own lookup (rather than resolving first and connecting later) means a DNS answer that
 * changes between check and connect cannot smuggle in a private address.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate && firstNonPublic(list) !== undefined) {
        return callback(new OutboundError('address_not_allowed', 'resolves to a private, loopback or reserved address'), '', 0);
      }
      if (list.length === 0) return callback(new OutboundError('dns', 'does not resolve'), '', 0);
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

function bodyBytes(body: GuardedInit['body']): Buffer | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  return Buffer.from(body);
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

function once(url: URL, init: GuardedInit, policy: Required<Omit<FetchPolicy, 'allowPrivate'>> & { allowPrivate: boolean }, deadline: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = new Headers(init.headers);
    const payload = bodyBytes(init.body);
    if (payload && init.body instanceof URLSearchParams && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    if (payload) headers.set('content-length', String(payload.length));
    if (!headers.has('user-agent')) headers.set('user-agent', 'claresia-control-plane');
    const mod = url.protocol === 'https:' ? https : http;
    const remaining = Math.max(1, deadline - Date.now());
    const req = mod.request(url, {
      method: init.method ?? 'GET',
      headers: Object.fromEntries(headers.entries()),
      lookup: guardedLookup(policy.allowPrivate),
      // No connection reuse: every request goes through the address check again.
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new OutboundError('timeout', `did not answer within ${policy.timeoutMs} ms`)), remaining);
    const abort = () => req.destroy(new OutboundError('timeout', 'request was aborted'));
    init.signal?.addEventListener('abort', abort, { once: true });
    const done = () => {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', abort);
    };
    req.on('error', (err) => {
      done();
      if (err instanceof OutboundError) return reject(err);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return reject(new OutboundError('dns', 'does not resolve'));
      reject(new OutboundError('network', `could not be reached (${code ?? 'connection failed'})`));
    });
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > policy.maxBytes) {
        req.destroy(new OutboundError('too_large', `answered with more than ${policy.maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > policy.maxBytes) req.destroy(new OutboundError('too_large', `answered with more than ${policy.maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        done();
        const out = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => req.destroy(err));
    });
    req.end(payload);
  });
}

/**
 * `fetch` for URLs that a tenant supplies (IdP metadata, discovery documents, platform
 * APIs): https only, public addresses only (checked on every connection, redirects
 * included), a deadline for the whole exchange and a cap on the body size. It has the
 * fetch signature so libraries that accept a custom fetch can use it.
 */
export async function guardedFetch(input: string | URL, init: GuardedInit = {}, policy: FetchPolicy = {}): Promise<Response> {
  const p = { ...DEFAULTS, ...policy, allowPrivate: policy.allowPrivate ?? false };
  const deadline = Date.now() + p.timeoutMs;
  let url = checkOutboundUrl(input, p);
  let method = init.method ?? 'GET';
  let body = init.body;
  for (let hop = 0; ; hop++) {
    const res = await once(url, { ...init, method, body }, p, deadline);
    const location = res.headers.get('location');
    const isRedirect = [301, 302, 303, 307, 308].includes(res.status) && location;
    if (!isRedirect || init.redirect === 'manual') {
      return new Response(NULL_BODY.has(res.status) ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
    }
    if (init.redirect === 'error') throw new OutboundError('too_many_redirects', 'redirected, which is not allowed here');
    if (hop >= p.maxRedirects) throw new OutboundError('too_many_redirects', `redirected more than ${p.maxRedirects} times`);
    url = checkOutboundUrl(new URL(location, url), p);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

/** A fetch bound to a policy, for libraries that take a `fetch` option. */
export function fetchWithPolicy(policy: FetchPolicy): (input: string | URL, init?: GuardedInit) => Promise<Response> {
  return (input, init) => guardedFetch(input, init, policy);
}
