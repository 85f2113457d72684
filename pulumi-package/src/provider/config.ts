/**
 * Provider configuration: `claresia:*` stack config or explicit Provider arguments, falling
 * back to the CLARESIA_* environment variables (the same ones the Terraform provider reads).
 */
import { ClaresiaApiError, ClaresiaClient, TOKEN_REFUSAL_CAUSES, type ClientOptions } from '@claresia/client';
import { PROVIDER_CONFIG, type ConfigKey } from '../provider-config.js';
import type { Failure } from './check.js';
import { hasUnknown, reveal, secret, type Props } from './values.js';

export interface ResolvedConfig {
  /** False while a value depends on a resource not created yet (a preview). */
  known: boolean;
  options?: ClientOptions;
  /** Where each setting came from, to name the one to fix. */
  sources?: Partial<Record<ConfigKey['name'], 'config' | 'environment'>>;
  failures: Failure[];
}

export function resolveConfig(props: Props, env: NodeJS.ProcessEnv = process.env, version = 'dev'): ResolvedConfig {
  const v: Record<string, string | undefined> = {};
  const sources: NonNullable<ResolvedConfig['sources']> = {};
  for (const c of PROVIDER_CONFIG) {
    const raw = reveal(props[c.name]);
    if (hasUnknown(raw)) return { known: false, failures: [] };
    v[c.name] = typeof raw === 'string' && raw !== '' ? raw : env[c.env] || undefined;
    if (v[c.name]) sources[c.name] = typeof raw === 'string' && raw !== '' ? 'config' : 'environment';
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
    sources,
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

/** A setting as the user set it: `claresia:token` (stack config or Provider argument) or `CLARESIA_TOKEN`. */
function named(key: ConfigKey['name'], cfg: ResolvedConfig): string {
  const c = PROVIDER_CONFIG.find((x) => x.name === key)!;
  return cfg.sources?.[key] === 'environment' ? c.env : `claresia:${key}`;
}

/**
 * The configuration's client, its credentials proven now with one request (the token sent to
 * the API, or the client credentials exchanged), so that refused ones fail Configure once
 * instead of every resource and function alone. A control plane that does not answer now is
 * left to the operations, which retry and report it where it happens.
 */
export async function signedInClient(cfg: ResolvedConfig): Promise<ClaresiaClient | undefined> {
  if (!cfg.options) return undefined;
  const client = new ClaresiaClient(cfg.options);
  try {
    await client.signIn();
  } catch (err) {
    if (!(err instanceof ClaresiaApiError)) return client;
    if (err.rejectsCredentials) {
      throw new Error(
        `claresia provider: the control plane refused the client id and secret (from ${named('clientId', cfg)} and ${named('clientSecret', cfg)}): ${err.apiMessage}. ` +
          "Use a tenant service account's client id and the client secret returned when it was created or last rotated.",
      );
    }
    if (cfg.options.token && err.status === 401) {
      throw new Error(
        `claresia provider: the control plane refused the token (from ${named('token', cfg)}): ${err.apiMessage} (${err.status} from ${err.method} ${err.path}). ` +
          TOKEN_REFUSAL_CAUSES +
          "To manage a tenant's objects, set claresia:clientId and claresia:clientSecret (CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET) instead of a token: the provider signs in with them, and again whenever its token expires.",
      );
    }
  }
  return client;
}
