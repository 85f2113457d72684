import dns from 'node:dns';
import { isIP } from 'node:net';
import { isLocalhostName } from '@claresia/catalog';
import { firstNonPublic } from './address-policy.js';
import { checkOutboundUrl, OutboundError, type FetchPolicy } from './guarded-fetch.js';

/** Every address a host name resolves to, as the connection-time guard sees them. */
export type ResolveAll = (host: string) => Promise<ReadonlyArray<{ address: string }>>;

export interface TargetCheckOptions {
  /** How long a write may wait for DNS before the name is given the benefit of the doubt. */
  lookupTimeoutMs?: number;
  /** The DNS resolver below unless a test supplies another. */
  resolve?: ResolveAll;
  /** false: judge the name without DNS (a URL only browsers follow; see sso/settings.ts). */
  lookup?: boolean;
}

const LOOKUP_TIMEOUT_MS = 2_000;

/**
 * c-ares queries (A and AAAA) with their own timeout, not getaddrinfo: a getaddrinfo that hangs
 * holds one of libuv's four pool threads (shared with file and crypto work) until the system
 * resolver gives up, and a tenant could post names whose servers never answer. /etc/hosts is not
 * read; the check is advisory, and localhost is judged by name.
 */
const resolver = new dns.promises.Resolver({ timeout: 1_000, tries: 1 });
const systemResolve: ResolveAll = async (host) => {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (!found.length) throw new Error(`${host} does not resolve`);
  return found.map((address) => ({ address }));
};

/**
 * Resolves within the deadline; undefined when the name does not resolve, DNS fails or the
 * deadline passes. The refusal is advisory (the connection-time guard in guarded-fetch is what
 * keeps requests off private networks), so a resolver that is down must not block the write.
 */
async function addressesWithin(host: string, opts: TargetCheckOptions): Promise<ReadonlyArray<{ address: string }> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), opts.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS);
  });
  try {
    const lookup = (opts.resolve ?? systemResolve)(host).catch(() => undefined);
    return await Promise.race([lookup, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * checkOutboundUrl for a URL about to be stored (a webhook, a platform base URL, an mTLS
 * endpoint, an IdP URL): also refuses a host name that resolves to a non-public address, so the
 * caller learns at once instead of from deliveries that all fail. The resolved address is not
 * echoed: the answer would otherwise map the control plane's internal DNS for any tenant.
 */
export async function checkOutboundTarget(raw: string | URL, policy: FetchPolicy = {}, opts: TargetCheckOptions = {}): Promise<URL> {
  const url = checkOutboundUrl(raw, policy);
  if (policy.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address was judged by checkOutboundUrl.
  if (isIP(host)) return url;
  if (isLocalhostName(host)) {
    throw new OutboundError('address_not_allowed', `points to a private, loopback or reserved address (${host} is a loopback name)`);
  }
  if (opts.lookup === false) return url;
  const addresses = await addressesWithin(host, opts);
  if (addresses && firstNonPublic(addresses) !== undefined) {
    throw new OutboundError('address_not_allowed', `points to a private, loopback or reserved address (${host} resolves to one)`);
  }
  return url;
}
