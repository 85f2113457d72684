import { createHash } from 'node:crypto';
import type * as client from 'openid-client';
import type { FetchPolicy } from '../net/guarded-fetch.js';
import { discover } from './oidc.js';

/**
 * Sign-in starts and callbacks are anonymous and frequent, and each needs the IdP's discovery
 * document: fetched every time, anyone could make this control plane send the customer's IdP
 * as many requests as they like (Okta and Entra throttle per source, so every tenant on that
 * IdP would then fail to sign in). A replica therefore keeps the set-up client for a while,
 * and concurrent misses share one fetch. The key covers every setting the client is built
 * from, so a changed URL, client id, secret or outbound policy never meets an old entry.
 * Failures are not kept: the next request tries again, one at a time per connection.
 * Configure and PATCH check the IdP afresh (settings.ts) and do not come here.
 */
const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 1000;

interface Entry {
  config: Promise<client.Configuration>;
  /** Set once the fetch succeeded; an entry still fetching is shared, not timed. */
  expiresAt?: number;
}

const entries = new Map<string, Entry>();

function keyOf(connectionId: string, s: Parameters<typeof discover>[0], policy: FetchPolicy): string {
  const h = createHash('sha256');
  for (const part of [connectionId, s.discovery_url, s.client_id, s.client_secret, String(policy.allowPrivate === true)]) h.update(part).update('\0');
  return h.digest('base64url');
}

export function cachedDiscover(connectionId: string, s: Parameters<typeof discover>[0], policy: FetchPolicy): Promise<client.Configuration> {
  const key = keyOf(connectionId, s, policy);
  const hit = entries.get(key);
  if (hit && (hit.expiresAt === undefined || hit.expiresAt > Date.now())) return hit.config;
  if (hit) entries.delete(key);
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  const entry: Entry = { config: discover(s, policy) };
  entries.set(key, entry);
  entry.config.then(
    () => (entry.expiresAt = Date.now() + TTL_MS),
    () => {
      if (entries.get(key) === entry) entries.delete(key);
    },
  );
  return entry.config;
}
