import { OutboundError, type GuardedInit } from '../net/guarded-fetch.js';
import type { Grant } from '../distribution/grants.js';

export const PLATFORMS = ['claude', 'copilot', 'chatgpt', 'slack'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** fetch as the control plane may use it for tenant-supplied URLs (SSRF-guarded). */
export type OutboundFetch = (url: string, init?: GuardedInit) => Promise<Response>;

/** What an adapter needs to talk to one tenant's account on a platform. */
export interface PlatformSession {
  baseUrl: string;
  /** The decrypted credential; adapters put it in a header and nowhere else. */
  credential: string;
  fetch: OutboundFetch;
}

/**
 * The runbook's connector errors: a key the platform does not accept, a key without the
 * scopes the connector needs, a platform that cannot be reached, a platform that is busy or
 * failing (5xx, 408, 429, a rate limit: `platform_error`), and a request it refuses for what it
 * is (another 4xx, such as the 404 of a base_url with a wrong path: `platform_rejected_request`).
 */
export type CheckFailure = 'invalid_credential' | 'insufficient_scope' | 'platform_unreachable' | 'platform_error' | 'platform_rejected_request';

export type CheckResult =
  | { ok: true; account: string | null; scopes: string[] | null }
  | { ok: false; code: CheckFailure; message: string; missingScopes?: string[] };

/**
 * A tenant's complete set of (user, skill) grants, as published, with `contentHash` (sha256 of
 * the canonical list, sent in the body for the platform's records).
 *
 * `idempotencyKey` names one publish of this content, never the content alone: a platform keeps
 * every key it answered and replays the first answer without applying the body again, so a
 * content key would make a set that returns to an earlier state (a user re-activated, then
 * de-provisioned again) a replay, leaving the grants of the state in between in place. Retries of
 * one publish carry the same key, so a call that was applied but whose answer was lost is not
 * applied twice; a later publish of an unchanged set is applied again, which a full-set replace
 * makes a no-op.
 */
export interface GrantSet {
  grants: readonly Grant[];
  contentHash: string;
  idempotencyKey: string;
}

/**
 * A failed publish: `message` is fit for logs, events and the API (status and a short machine
 * code, never the platform's free text). `status` is the HTTP status when the platform answered;
 * `retryAfterMs` its Retry-After (429, 503), which retries must not come before; `rejected` means
 * the platform refused the credential itself (401, 403, Slack's auth errors), which retrying
 * cannot fix.
 */
export type PublishFailure = { ok: false; message: string; status?: number; retryAfterMs?: number; rejected?: boolean };

export type PublishResult = { ok: true; status: number } | PublishFailure;

/** One LLM platform: proving a credential, and publishing the tenant's skill grants. */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** The platform's public API, used when a connector names no base URL. */
  readonly defaultBaseUrl: string;
  /** Scopes the credential must carry for Claresia to publish skills there. */
  readonly requiredScopes: readonly string[];
  /** Calls the platform to prove the credential works and carries the required scopes. */
  checkCredential(session: PlatformSession): Promise<CheckResult>;
  /**
   * Replaces the tenant's skill grants on the platform with `set` (a full-set PUT, never a
   * delta, so a lost or repeated call cannot leave the platform half-updated).
   */
  publishGrants(session: PlatformSession, set: GrantSet): Promise<PublishResult>;
}

/**
 * Sends one full-set publish and reduces the answer to success or a message fit for logs and
 * events: the HTTP status and a short machine code, never the platform's free text.
 */
export async function sendPublish(platform: Platform, s: PlatformSession, method: 'PUT' | 'POST', path: string, headers: Record<string, string>, body: unknown, set: GrantSet): Promise<{ res: Response; json: any } | PublishFailure> {
  let res: Response;
  try {
    res = await s.fetch(platformUrl(s.baseUrl, path), {
      method,
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': set.idempotencyKey },
      body: JSON.stringify(body),
      redirect: 'error',
    });
  } catch (err) {
    if (err instanceof OutboundError) return { ok: false, message: `the ${platform} API base_url ${err.message}` };
    throw err;
  }
  const json = await jsonBody(res);
  if (!res.ok) {
    const code = platformCode(json?.error?.type) ?? platformCode(json?.error?.code) ?? platformCode(json?.error) ?? platformCode(json?.message);
    const failure: PublishFailure = { ok: false, message: `the ${platform} API answered HTTP ${res.status}${code ? ` (${code})` : ''}`, status: res.status };
    const limit = rateLimit(res);
    if ((res.status === 401 || res.status === 403) && !limit) failure.rejected = true;
    if (limit?.waitMs != null) failure.retryAfterMs = limit.waitMs;
    return failure;
  }
  return { res, json };
}

/**
 * Whether an error answer says "not now" rather than "not this key": 429, 503, or GitHub's 403
 * with a Retry-After or an exhausted x-ratelimit window, which passes, unlike a 403 for the key
 * itself. `waitMs` is how long the platform asked to wait (null: it did not say). Null when the
 * answer is no rate limit. The connector test and publishing both judge a 403 with it, so a busy
 * platform never fails a connector in one and is waited out in the other.
 */
export function rateLimit(res: Response): { waitMs: number | null } | null {
  const wait = retryAfterMs(res.headers.get('retry-after')) ?? rateLimitResetMs(res.headers);
  if (res.status === 429 || res.status === 503 || (res.status === 403 && wait !== null)) return { waitMs: wait };
  return null;
}

/**
 * Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3); null
 * when absent or unreadable. A date in the past means now.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its month; Date.parse would also take "-5" or "1.5" as dates.
  const at = /^[A-Za-z]{3}, /.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Until an exhausted x-ratelimit window resets (GitHub's headers), or null when it is not exhausted. */
function rateLimitResetMs(headers: Headers, now = Date.now()): number | null {
  if (headers.get('x-ratelimit-remaining') !== '0') return null;
  const reset = headers.get('x-ratelimit-reset');
  return reset && /^\d{1,12}$/.test(reset) ? Math.max(0, Number(reset) * 1000 - now) : null;
}

/** Joins a path onto a base URL that may itself carry a path prefix (a gateway, a test double). */
export function platformUrl(baseUrl: string, path: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path.replace(/^\/+/, ''), base).toString();
}

/** A failure result for a request that never got an answer. */
export function unreachable(platform: Platform, err: unknown): CheckResult {
  if (err instanceof OutboundError) return { ok: false, code: 'platform_unreachable', message: `the ${platform} API base_url ${err.message}` };
  throw err;
}

/**
 * Platforms' error bodies can echo part of the key, so only a short machine code from them is
 * ever repeated, never their free text.
 */
export function platformCode(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : null;
}

export async function jsonBody(res: Response): Promise<any> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** The scopes in `required` that `granted` lacks; `implied` maps a broader scope to those it includes. */
export function missingScopes(required: readonly string[], granted: readonly string[], implied: Record<string, readonly string[]> = {}): string[] {
  const have = new Set(granted);
  for (const g of granted) for (const s of implied[g] ?? []) have.add(s);
  return required.filter((s) => !have.has(s));
}

export function scopeList(header: string | null): string[] | null {
  if (header === null) return null;
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * An answer that is neither a pass nor a verdict on the key. Only a platform that is busy or
 * failing may answer better later; any other 4xx will come back the same on every retry, and the
 * likely cause is the base_url (a wrong path or host), so it is a verdict that names it.
 */
export function otherStatus(platform: Platform, res: Response, code: string | null): CheckResult {
  const answered = `the ${platform} API answered HTTP ${res.status}${code ? ` (${code})` : ''}`;
  const busy = res.status >= 500 || res.status === 408 || res.status === 429 || rateLimit(res) !== null;
  if (busy || res.status < 400) return { ok: false, code: 'platform_error', message: answered };
  return { ok: false, code: 'platform_rejected_request', message: `${answered}; check base_url (its host and path)` };
}
