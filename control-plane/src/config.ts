import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { isIP } from 'node:net';
import { parseCidr } from '@claresia/catalog';
import { integerEnv } from './env-number.js';
import type { ApiRateLimitConfig } from './http/rate-limit.js';

export interface Config {
  port: number;
  host: string;
  /** Base URL that callers (and IdPs) reach this control plane at; used in returned URLs. */
  publicUrl: string | undefined;
  /** A real PostgreSQL server; absent means the embedded PGlite database in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * The PostgreSQL pool of this replica: at most `max` connections, each closed after
   * `idleSeconds` unused. A new connection costs ~15-60 ms (a backend started, SCRAM on both
   * sides), paid by the request that needed it, so connections outlive a quiet spell between an
   * IdP's bursts rather than being opened again for each burst.
   */
  databasePool?: { max: number; idleSeconds: number };
  operatorToken: string;
  /** Bearer token for scraping /metrics, so a monitoring system needs no operator token (which also opens /metrics). */
  metricsToken?: string;
  /** 32 bytes that wrap every other secret at rest (data keys, signing keys). */
  masterKey: Buffer;
  tokenTtlSeconds: number;
  logLevel: string;
  /**
   * Lets outbound fetches (IdP metadata, discovery documents, platform APIs) reach private and
   * loopback addresses over plain http too. Only for development and tests with local IdPs.
   */
  allowPrivateUrls?: boolean;
  /**
   * Request budgets of /api/v1 per tenant, for the operator token, and per client address for
   * calls without a token (http/rate-limit.ts); unset parts come from the CLARESIA_API_RATE_*,
   * CLARESIA_API_OPERATOR_RATE_* and CLARESIA_API_ANONYMOUS_RATE_* environment variables.
   */
  apiRateLimit?: ApiRateLimitConfig;
  /**
   * Load balancers and ingresses whose X-Forwarded-For is believed (addresses, CIDRs, or
   * Express's names loopback, linklocal, uniquelocal). Behind a proxy every caller otherwise
   * has the proxy's address: one anonymous budget for all tenants and SCIM allowlists that
   * can only list the proxy. Empty: the peer address, whatever the headers say.
   */
  trustedProxies?: string[];
  /** Where generated dev-only secrets came from, so `serve` can tell the user. */
  generated: { operatorToken?: string; masterKey?: string };
}

/**
 * With the embedded database, secrets that a fresh user has not set are generated once and
 * kept beside the data so restarts keep working. With a real PostgreSQL server the control
 * plane may run as several replicas, which must share these values, so they are required.
 */
function devSecret(dir: string, file: string, make: () => string): string {
  const p = path.join(dir, file);
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const v = make();
  writeFileSync(p, v + '\n', { mode: 0o600 });
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  const dataDir = path.resolve(env.CLARESIA_DATA_DIR || '.data');
  const generated: Config['generated'] = {};
  let operatorToken = env.CLARESIA_OPERATOR_TOKEN;
  let masterKeyB64 = env.CLARESIA_MASTER_KEY;
  if (!databaseUrl) {
    if (!operatorToken) {
      operatorToken = devSecret(dataDir, 'operator-token', () => 'op_' + randomBytes(24).toString('base64url'));
      generated.operatorToken = path.join(dataDir, 'operator-token');
    }
    if (!masterKeyB64) {
      masterKeyB64 = devSecret(dataDir, 'master-key', () => randomBytes(32).toString('base64'));
      generated.masterKey = path.join(dataDir, 'master-key');
    }
  }
  if (!operatorToken) throw new Error('CLARESIA_OPERATOR_TOKEN is required when DATABASE_URL is set');
  if (operatorToken.length < 16) throw new Error('CLARESIA_OPERATOR_TOKEN must be at least 16 characters');
  // A bearer token with a "." is read as a JWT, and one with white space is not one token:
  // either would start a control plane whose operator can never sign in.
  if (operatorToken.includes('.')) {
    throw new Error('CLARESIA_OPERATOR_TOKEN must not contain "." (a dotted bearer token is taken for a JWT, so it could never sign in); use letters, digits, "-" and "_"');
  }
  if (/\s/.test(operatorToken)) throw new Error('CLARESIA_OPERATOR_TOKEN must not contain white space; use letters, digits, "-" and "_"');
  const metricsToken = env.CLARESIA_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new Error('CLARESIA_METRICS_TOKEN must be at least 16 characters with no white space (it is sent as "Authorization: Bearer <token>")');
  }
  if (!masterKeyB64) throw new Error('CLARESIA_MASTER_KEY (32 bytes, base64) is required when DATABASE_URL is set');
  const masterKey = Buffer.from(masterKeyB64, 'base64');
  if (masterKey.length !== 32) throw new Error('CLARESIA_MASTER_KEY must be 32 bytes encoded as base64');
  return {
    port: integerEnv(env, 'PORT', 8080),
    host: env.HOST || '127.0.0.1',
    publicUrl: env.CLARESIA_PUBLIC_URL?.replace(/\/+$/, '') || undefined,
    databaseUrl,
    dataDir,
    databasePool: { max: integerEnv(env, 'CLARESIA_DATABASE_POOL_MAX', 10, 1), idleSeconds: integerEnv(env, 'CLARESIA_DATABASE_POOL_IDLE_SECONDS', 600, 1) },
    operatorToken,
    ...(metricsToken ? { metricsToken } : {}),
    masterKey,
    tokenTtlSeconds: integerEnv(env, 'CLARESIA_TOKEN_TTL_SECONDS', 3600),
    logLevel: env.LOG_LEVEL || 'info',
    allowPrivateUrls: env.CLARESIA_ALLOW_PRIVATE_URLS === '1' || env.CLARESIA_ALLOW_PRIVATE_URLS === 'true',
    trustedProxies: trustedProxiesEnv(env.CLARESIA_TRUSTED_PROXIES),
    generated,
  };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** CLARESIA_TRUSTED_PROXIES checked here, so a typo stops start-up instead of trusting nothing or everything. */
export function trustedProxiesEnv(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    if (PROXY_NAMES.has(entry) || isIP(entry)) continue;
    const parsed = entry.includes('/') ? parseCidr(entry) : 'must be an IP address, a CIDR such as 10.0.0.0/8, or loopback, linklocal or uniquelocal';
    if (typeof parsed === 'string') throw new Error(`CLARESIA_TRUSTED_PROXIES entry ${i + 1} ("${entry.slice(0, 64)}") ${parsed}`);
  }
  return entries;
}
