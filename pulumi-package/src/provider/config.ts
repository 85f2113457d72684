/**
 * Provider configuration: `claresia:*` stack config or explicit Provider arguments, falling
 * back to the CLARESIA_* environment variables (the same ones the Terraform provider reads).
 */
import type { ClientOptions } from '@claresia/client';
import { PROVIDER_CONFIG } from '../provider-config.js';
import type { Failure } from './check.js';
import { hasUnknown, reveal, secret, type Props } from './values.js';

export interface ResolvedConfig {
  /** False while a value depends on a resource not created yet (a preview). */
  known: boolean;
  options?: ClientOptions;
  failures: Failure[];
}

export function resolveConfig(props: Props, env: NodeJS.ProcessEnv = process.env, version = 'dev'): ResolvedConfig {
  const v: Record<string, string | undefined> = {};
  for (const c of PROVIDER_CONFIG) {
    const raw = reveal(props[c.name]);
    if (hasUnknown(raw)) return { known: false, failures: [] };
    v[c.name] = typeof raw === 'string' && raw !== '' ? raw : env[c.env] || undefined;
  }
  const failures: Failure[] = [];
  if (!v.endpoint) failures.push({ property: 'endpoint', reason: 'endpoint is not set: set claresia:endpoint or CLARESIA_ENDPOINT' });
  else {
    let url: URL | undefined;
    try {
      url = new URL(v.endpoint);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) failures.push({ property: 'endpoint', reason: 'endpoint must be an http(s) URL' });
  }
  if (!v.token && !(v.clientId && v.clientSecret)) {
    const property = v.clientId ? 'clientSecret' : v.clientSecret ? 'clientId' : 'token';
    failures.push({ property, reason: 'no credentials: set claresia:token (CLARESIA_TOKEN), or claresia:clientId and claresia:clientSecret (CLARESIA_CLIENT_ID, CLARESIA_CLIENT_SECRET)' });
  }
  if (failures.length) return { known: true, failures };
  return {
    known: true,
    failures,
    options: {
      endpoint: v.endpoint!,
      ...(v.token ? { token: v.token } : { clientId: v.clientId!, clientSecret: v.clientSecret! }),
      userAgent: `pulumi-resource-claresia/${version}`,
    },
  };
}

/** The settings with those the schema marks secret (token, clientSecret) wrapped; a wrapped one stays as it is. */
export function secretSettings(props: Props): Props {
  const out: Props = { ...props };
  for (const c of PROVIDER_CONFIG) if (c.secret && out[c.name] !== undefined) out[c.name] = secret(out[c.name]);
  return out;
}
