import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { isIP } from 'node:net';
import pino from 'pino';
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
  const databaseUrl = databaseUrlEnv(env.DATABASE_URL);
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
    port: integerEnv(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    publicUrl: publicUrlEnv(env.CLARESIA_PUBLIC_URL),
    databaseUrl,
    dataDir,
    databasePool: { max: integerEnv(env, 'CLARESIA_DATABASE_POOL_MAX', 10, 1), idleSeconds: integerEnv(env, 'CLARESIA_DATABASE_POOL_IDLE_SECONDS', 600, 1) },
    operatorToken,
    ...(metricsToken ? { metricsToken } : {}),
    masterKey,
    // Below a minute a token expires before a Terraform plan's calls are done (at 0 it is dead
    // on arrival); beyond a day a leaked one outlives the usual rotation of what it could reach.
    tokenTtlSeconds: integerEnv(env, 'CLARESIA_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    logLevel: logLevelEnv(env.LOG_LEVEL),
    allowPrivateUrls: booleanEnv(env, 'CLARESIA_ALLOW_PRIVATE_URLS'),
    trustedProxies: trustedProxiesEnv(env.CLARESIA_TRUSTED_PROXIES),
    generated,
  };
}

/**
 * Checked here because the driver takes any URL for PostgreSQL (mysql://x fails later as an
 * unknown host). Only the scheme is echoed: the rest may hold the password.
 */
function databaseUrlEnv(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
  if (scheme && /^postgres(ql)?$/i.test(scheme)) return value;
  throw new Error(`DATABASE_URL must be a postgres:// or postgresql:// URL${scheme ? `, got a ${scheme}: URL` : ''} (unset it for the embedded database)`);
}

/** The base of every URL handed to IdPs and callers (ACS, audience, SCIM endpoint), so it must be one. */
export function publicUrlEnv(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const shown = value.slice(0, 100);
  if (!URL.canParse(value)) throw new Error(`CLARESIA_PUBLIC_URL must be an absolute http(s) URL such as https://claresia.example.com, got "${shown}"`);
  const u = new URL(value);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`CLARESIA_PUBLIC_URL must be an http(s) URL, got "${shown}"`);
  if (u.search || u.hash || value.includes('?') || value.includes('#')) throw new Error(`CLARESIA_PUBLIC_URL must not have a query or fragment (paths are appended to it), got "${shown}"`);
  if (u.username || u.password) throw new Error('CLARESIA_PUBLIC_URL must not carry a user name or password');
  return value.replace(/\/+$/, '');
}

/** pino's own error for an unknown level names no variable. */
function logLevelEnv(value: string | undefined): string {
  if (!value) return 'info';
  if (value === 'silent' || Object.hasOwn(pino.levels.values, value)) return value;
  throw new Error(`LOG_LEVEL must be one of ${[...Object.keys(pino.levels.values), 'silent'].join(', ')}, got "${value.slice(0, 40)}"`);
}

/** A switch, so that "yes" or "on" is refused instead of silently meaning off. */
function booleanEnv(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return false;
  const v = raw.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new Error(`${name} must be 0, 1, true or false, got "${raw.slice(0, 20)}"`);
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
