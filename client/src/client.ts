import { randomUUID } from 'node:crypto';
import { ClaresiaApiError, ClaresiaConfigError, ClaresiaNetworkError, ME_PATH, TOKEN_PATH } from './errors.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type BackoffPolicy } from './retry.js';
import { send, type Answer, type AnswerHeaders } from './http.js';

export interface ClientOptions {
  /** Base URL of the control plane, e.g. https://api.claresia.example */
  endpoint: string;
  /** An operator token or a tenant JWT. */
  token?: string;
  /** A tenant service account, exchanged for a JWT at POST /api/v1/auth/token. */
  clientId?: string;
  clientSecret?: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 429, 5xx and network failures. */
  maxRetries?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Requests in flight at once; Terraform runs ten operations in parallel per provider. */
  maxConcurrency?: number;
  userAgent?: string;
  /** Injected by tests to observe waits without spending them. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | string[] | undefined>;
  /** Sent as Idempotency-Key; the same key on every retry of this request. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Treat these statuses as answers, not errors (e.g. 404 on read). */
  accept?: number[];
  /** Retries of this request, in place of the client's maxRetries. */
  maxRetries?: number;
}

export interface Response<T> {
  status: number;
  body: T;
  headers: AnswerHeaders;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 120_000 };

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    // Remove the listener when the wait ends: one signal outlives many waits.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface Budget {
  left: number;
  resetAt: number;
  /** Set past a reset, while one request finds out what is left. */
  probing?: boolean;
}

/**
 * The one HTTP client of the control-plane API (Terraform provider and Pulumi provider).
 * JSON in and out; retries 429 and 5xx with backoff honouring Retry-After; idempotency keys on
 * POST; a timeout per attempt; a concurrency cap; tenant credentials exchanged for a JWT.
 */
export class ClaresiaClient {
  readonly endpoint: string;
  private readonly opts: ClientOptions;
  private readonly backoff: BackoffPolicy;
  private accessToken: { value: string; expiresAt: number } | undefined;
  private exchanging: Promise<string> | undefined;
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];
  /**
   * The request budget as the last RateLimit headers told it, less what was sent since; unset
   * while the server sends none. Requests wait when it is spent instead of drawing a 429.
   */
  private budget: Budget | undefined;
  /** Requests sent and not answered yet. */
  private unanswered = 0;

  constructor(opts: ClientOptions) {
    if (!opts.endpoint) throw new ClaresiaConfigError('the control-plane endpoint is not set');
    let url: URL;
    try {
      url = new URL(opts.endpoint);
    } catch {
      throw new ClaresiaConfigError(`the endpoint is not a URL: ${JSON.stringify(opts.endpoint)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ClaresiaConfigError('the endpoint must be an http(s) URL');
    if (!opts.token && !(opts.clientId && opts.clientSecret)) {
      throw new ClaresiaConfigError('no credentials: set a token, or client_id and client_secret');
    }
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.opts = opts;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  }

  get<T = any>(path: string, o: RequestOptions = {}) {
    return this.request<T>('GET', path, o);
  }

  post<T = any>(path: string, o: RequestOptions = {}) {
    return this.request<T>('POST', path, { idempotencyKey: randomUUID(), ...o });
  }

  patch<T = any>(path: string, o: RequestOptions = {}) {
    return this.request<T>('PATCH', path, o);
  }

  put<T = any>(path: string, o: RequestOptions = {}) {
    return this.request<T>('PUT', path, o);
  }

  delete<T = any>(path: string, o: RequestOptions = {}) {
    return this.request<T>('DELETE', path, o);
  }

  async request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<Response<T>> {
    await this.acquire();
    try {
      return await this.attempts<T>(method, path, o);
    } finally {
      this.release();
    }
  }

  private async attempts<T>(method: string, path: string, o: RequestOptions): Promise<Response<T>> {
    const maxRetries = o.maxRetries ?? this.opts.maxRetries ?? 5;
    const sleep = this.opts.sleep ?? ((ms: number) => defaultSleep(ms, o.signal));
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      await this.spendBudget(sleep);
      let res: Answer;
      this.unanswered++;
      try {
        try {
          res = await this.once(method, path, o);
          this.noteRateLimit(res.headers);
        } finally {
          this.unanswered--;
        }
      } catch (err) {
        // A rejected token exchange is an answer, not a network failure: do not retry it.
        if (o.signal?.aborted || err instanceof ClaresiaApiError || err instanceof ClaresiaNetworkError || err instanceof ClaresiaConfigError) throw err;
        const timedOut = (err as Error).name === 'TimeoutError';
        if (attempt < maxRetries) {
          await sleep(backoffDelay(attempt, this.backoff));
          continue;
        }
        throw new ClaresiaNetworkError(
          timedOut ? `no answer within ${this.opts.timeoutMs ?? 30_000} ms (after ${attempt + 1} attempts)` : `${(err as Error).message} (after ${attempt + 1} attempts)`,
          method,
          path,
          timedOut,
        );
      }
      if (res.status === 401 && !refreshedAuth && this.usesExchange()) {
        // The JWT expired or was revoked mid-run: exchange the credentials once more.
        refreshedAuth = true;
        this.accessToken = undefined;
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < maxRetries) {
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
        if (retryAfter !== undefined && retryAfter > this.backoff.maxRetryAfterMs) {
          throw new ClaresiaApiError(res.status, 'retry_after_too_long', `server asked to retry after ${Math.round(retryAfter / 1000)} s`, undefined, method, path);
        }
        await sleep(retryAfter ?? backoffDelay(attempt, this.backoff));
        continue;
      }
      const text = await res.text();
      let body: any = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      if (res.ok || o.accept?.includes(res.status)) return { status: res.status, body, headers: res.headers };
      const e = body && typeof body === 'object' ? body.error : undefined;
      throw new ClaresiaApiError(
        res.status,
        typeof e?.code === 'string' ? e.code : `http_${res.status}`,
        typeof e?.message === 'string' ? e.message : res.statusText || 'request failed',
        typeof e?.field === 'string' ? e.field : undefined,
        method,
        path,
        res.headers.get('x-request-id') ?? undefined,
      );
    }
  }

  private async once(method: string, path: string, o: RequestOptions): Promise<Answer> {
    const url = new URL(this.endpoint + path);
    for (const [k, v] of Object.entries(o.query ?? {})) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, x);
    }
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent ?? 'claresia-client',
      Authorization: `Bearer ${await this.bearer(o.signal)}`,
    };
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    return send(url, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    });
  }

  private usesExchange() {
    return !this.opts.token && !!this.opts.clientId;
  }

  private async bearer(signal?: AbortSignal): Promise<string> {
    if (this.opts.token) return this.opts.token;
    if (this.accessToken && this.accessToken.expiresAt > Date.now()) return this.accessToken.value;
    this.exchanging ??= this.exchange(signal).finally(() => (this.exchanging = undefined));
    return this.exchanging;
  }

  /**
   * Proves the credentials now, in one attempt, so that refused ones are known before any
   * request of a resource is made (Terraform shows it once, on the provider): exchanges the
   * client credentials, or sends the token to ME_PATH. Throws what that request throws (a 401
   * for a refused or expired token); a failure is not kept.
   */
  async signIn(signal?: AbortSignal): Promise<void> {
    if (this.opts.token) {
      // Every valid token passes authentication there: a tenant's is answered 200 and the
      // operator's 403 (the route is a tenant's), both after the token was accepted, so one
      // request serves either kind and only a 401 means the token itself was refused.
      await this.request('GET', ME_PATH, { accept: [403], maxRetries: 0, signal });
      return;
    }
    if (!this.usesExchange() || (this.accessToken && this.accessToken.expiresAt > Date.now())) return;
    await this.exchange(undefined, 0);
  }

  /** Client credentials to a tenant JWT; kept until a minute before it expires. */
  private async exchange(signal?: AbortSignal, maxRetries = this.opts.maxRetries ?? 5): Promise<string> {
    const path = TOKEN_PATH;
    const sleep = this.opts.sleep ?? ((ms: number) => defaultSleep(ms, signal));
    for (let attempt = 0; ; attempt++) {
      let res: Answer;
      try {
        res = await send(new URL(this.endpoint + path), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': this.opts.userAgent ?? 'claresia-client' },
          body: JSON.stringify({ grant_type: 'client_credentials', client_id: this.opts.clientId, client_secret: this.opts.clientSecret }),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        if (attempt < maxRetries) {
          await sleep(backoffDelay(attempt, this.backoff));
          continue;
        }
        throw new ClaresiaNetworkError(`token exchange failed: ${(err as Error).message}`, 'POST', path, (err as Error).name === 'TimeoutError');
      }
      if (isRetryableStatus(res.status) && attempt < maxRetries) {
        await sleep(parseRetryAfter(res.headers.get('retry-after')) ?? backoffDelay(attempt, this.backoff));
        continue;
      }
      const body: any = await res.json().catch(() => undefined);
      if (!res.ok || typeof body?.access_token !== 'string') {
        const e = body?.error;
        throw new ClaresiaApiError(
          res.status,
          e?.code ?? `http_${res.status}`,
          res.status === 401 ? 'the client_id/client_secret pair was rejected' : (e?.message ?? 'token exchange failed'),
          e?.field,
          'POST',
          path,
        );
      }
      const ttl = Number(body.expires_in) || 300;
      this.accessToken = { value: body.access_token, expiresAt: Date.now() + Math.max(ttl - 60, ttl / 2) * 1000 };
      return body.access_token;
    }
  }

  /** Honour draft-ietf-httpapi-ratelimit-headers when the server sends them: stop before a 429. */
  private noteRateLimit(h: AnswerHeaders) {
    const remaining = Number(h.get('ratelimit-remaining') ?? h.get('x-ratelimit-remaining') ?? NaN);
    const secs = Number(h.get('ratelimit-reset') ?? h.get('x-ratelimit-reset') ?? NaN);
    if (!Number.isFinite(remaining) || !Number.isFinite(secs) || secs < 0 || secs >= 3600) {
      // An answer that says nothing once the budget has reset: nothing is known to be spent, so
      // requests stop waiting for news that may never come.
      if (this.budget && (this.budget.probing || this.budget.resetAt <= Date.now())) this.budget = undefined;
      return;
    }
    // The other requests on their way may not have been counted yet: assume they will be.
    this.budget = { left: remaining - (this.unanswered - 1), resetAt: Date.now() + secs * 1000 };
  }

  /**
   * Takes one request from the budget, first waiting for its reset when it is spent. Past a
   * reset nobody knows what is left until an answer says, so one request goes to find out and
   * the others wait a second more (or until that answer). Each budget is waited for once: a
   * sleep that returns early (a test's) does not spin.
   */
  private async spendBudget(sleep: (ms: number) => Promise<void>) {
    const waited = new Set<Budget>();
    for (;;) {
      const b = this.budget;
      if (!b || b.left > 0) {
        if (b) b.left--;
        return;
      }
      const wait = b.resetAt - Date.now();
      if (wait > 0 && !waited.has(b)) {
        waited.add(b);
        await sleep(wait);
        continue;
      }
      this.budget = { left: 0, resetAt: Date.now() + 1000, probing: true };
      return;
    }
  }

  private acquire(): Promise<void> {
    const max = this.opts.maxConcurrency ?? 8;
    if (this.inFlight < max) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => resolve()));
  }

  private release() {
    const next = this.queue.shift();
    if (next) next();
    else this.inFlight--;
  }
}
