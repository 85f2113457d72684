import { createHash } from 'node:crypto';
import type * as client from 'openid-client';
import { ApiError } from '../http/errors.js';
import type { FetchPolicy } from '../net/guarded-fetch.js';
import { discover } from './oidc.js';

/**
 * Sign-in starts and callbacks are anonymous and frequent, and each needs the IdP's discovery
 * document: fetched every time, anyone could make this control plane send the customer's IdP
 * as many requests as they like (Okta and Entra throttle per source, so every tenant on that
 * IdP would then fail to sign in). A replica therefore keeps the set-up client for a while,
 * and concurrent misses share one fetch. The key covers every setting the client is built
 * from, so a changed URL, client id, secret or outbound policy never meets an old entry.
 * Configure and PATCH check the IdP afresh (settings.ts) and do not come here.
 */
export const TTL_MS = 10 * 60_000;

/**
 * A failed discovery (an error status, a timeout, a document that does not validate) is kept
 * this long too. Not keeping it would send a broken IdP one fetch per anonymous start, and a
 * failing start is refused before the per-connection start limit is reached, so nothing else
 * bounds that traffic; a quarter of a minute turns it into a few fetches a minute per replica,
 * while a person retrying after the IdP recovered waits no longer than that. New client settings
 * are a new key and are never held back by it, and an admin's test login asks the IdP again
 * (`retryFailure`): whoever just fixed the IdP tests it at once, and is the one to trust with a
 * fetch that anonymous callers may not cause.
 */
export const FAILURE_TTL_MS = 15_000;

const MAX_ENTRIES = 1000;

type DiscoverySettings = Parameters<typeof discover>[0];

interface Entry {
  connectionId: string;
  config: Promise<client.Configuration>;
  /** Set once the fetch settled; an entry still fetching is shared, not timed. */
  expiresAt?: number;
  /** When the fetch failed: later callers are told how old the answer is. */
  failedAt?: number;
}

function keyOf(connectionId: string, s: DiscoverySettings, policy: FetchPolicy): string {
  const h = createHash('sha256');
  for (const part of [connectionId, s.discovery_url, s.client_id, s.client_secret, String(policy.allowPrivate === true)]) h.update(part).update('\0');
  return h.digest('base64url');
}

/** The same failure for a caller that did not wait on that fetch, saying why the IdP was not asked again. */
function remembered(err: unknown, failedAt: number, expiresAt: number, now: number): unknown {
  if (!(err instanceof ApiError)) return err;
  const ago = Math.max(0, Math.floor((now - failedAt) / 1000));
  const left = Math.max(1, Math.ceil((expiresAt - now) / 1000));
  const message = `${err.message} (last tried ${ago} s ago; tried again after ${left} s)`;
  return new ApiError(err.status, err.code, message, err.field, err.headers);
}

export class DiscoveryCache {
  private readonly entries = new Map<string, Entry>();

  /** `now` is the clock the entries expire by (tests move it instead of waiting). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Entries held, fetching or settled. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The client for these settings. With `retryFailure`, a kept failure is not answered: the IdP
   * is asked again and its answer kept in the failure's place. A kept success, or a fetch under
   * way (begun after the failure, if any), is shared all the same.
   */
  get(connectionId: string, s: DiscoverySettings, policy: FetchPolicy, { retryFailure = false } = {}): Promise<client.Configuration> {
    const key = keyOf(connectionId, s, policy);
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && (hit.expiresAt === undefined || hit.expiresAt > now)) {
      const { failedAt, expiresAt } = hit;
      if (failedAt === undefined || expiresAt === undefined) return hit.config;
      if (!retryFailure) {
        return hit.config.catch((err: unknown) => {
          throw remembered(err, failedAt, expiresAt, now);
        });
      }
    }
    this.makeRoom(key, connectionId, now);
    const entry: Entry = { connectionId, config: discover(s, policy) };
    this.entries.set(key, entry);
    entry.config.then(
      () => (entry.expiresAt = this.now() + TTL_MS),
      () => {
        entry.failedAt = this.now();
        entry.expiresAt = entry.failedAt + FAILURE_TTL_MS;
      },
    );
    return entry.config;
  }

  /**
   * Runs before each new entry: expired entries go, and so do the connection's entries under
   * another key (a rotated-out secret's client), so an old secret does not stay in memory until
   * it is evicted. Callers still waiting on a dropped fetch keep their promise.
   */
  private makeRoom(key: string, connectionId: string, now: number): void {
    for (const [k, e] of this.entries) {
      if ((e.expiresAt !== undefined && e.expiresAt <= now) || (e.connectionId === connectionId && k !== key)) this.entries.delete(k);
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}

const shared = new DiscoveryCache();

export function cachedDiscover(connectionId: string, s: DiscoverySettings, policy: FetchPolicy, options?: { retryFailure?: boolean }): Promise<client.Configuration> {
  return shared.get(connectionId, s, policy, options);
}
