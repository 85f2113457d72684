/** Provider block and environment → client options. The block wins over the environment. */
import type { ClientOptions } from '@claresia/client';
import { UNKNOWN, type ObjectValue } from './values/cty.js';
import { parseDuration } from './duration.js';
import { error, type Diagnostic } from './diagnostics.js';

export interface ResolvedConfig {
  /** False while some provider argument is unknown (it depends on a resource not yet applied). */
  known: boolean;
  options?: ClientOptions;
  diagnostics: Diagnostic[];
}

function pick(config: ObjectValue, key: string, env: string, environ: NodeJS.ProcessEnv): string | undefined | typeof UNKNOWN {
  const v = config[key];
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === 'string' && v !== '') return v;
  const e = environ[env];
  return e && e !== '' ? e : undefined;
}

export function resolveConfig(config: ObjectValue, environ: NodeJS.ProcessEnv = process.env, version = 'dev'): ResolvedConfig {
  const endpoint = pick(config, 'endpoint', 'CLARESIA_ENDPOINT', environ);
  // Credentials written in the block win as a whole: a block with client_id/client_secret (say,
  // from a tenant created in the same configuration) must not pick up an operator CLARESIA_TOKEN.
  const blockHasCredentials = [config.token, config.client_id, config.client_secret].some((v) => v !== null && v !== undefined);
  const credEnv = blockHasCredentials ? {} : environ;
  const token = pick(config, 'token', 'CLARESIA_TOKEN', credEnv);
  const clientId = pick(config, 'client_id', 'CLARESIA_CLIENT_ID', credEnv);
  const clientSecret = pick(config, 'client_secret', 'CLARESIA_CLIENT_SECRET', credEnv);
  if ([endpoint, token, clientId, clientSecret, config.request_timeout, config.max_retries].includes(UNKNOWN)) {
    return { known: false, diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = [];
  if (!endpoint) diagnostics.push(error('Missing endpoint', 'Set endpoint in the provider block or CLARESIA_ENDPOINT.', ['endpoint']));
  if (!token && !(clientId && clientSecret)) {
    diagnostics.push(error('Missing credentials', 'Set token (CLARESIA_TOKEN), or client_id and client_secret (CLARESIA_CLIENT_ID, CLARESIA_CLIENT_SECRET).'));
  }
  let timeoutMs: number | undefined;
  if (typeof config.request_timeout === 'string') {
    timeoutMs = parseDuration(config.request_timeout);
    if (timeoutMs === undefined) diagnostics.push(error('Invalid duration', `"${config.request_timeout}" is not a duration such as 30s.`, ['request_timeout']));
  }
  if (diagnostics.length) return { known: true, diagnostics };
  return {
    known: true,
    diagnostics,
    options: {
      endpoint: endpoint as string,
      ...(token ? { token: token as string } : { clientId: clientId as string, clientSecret: clientSecret as string }),
      timeoutMs,
      maxRetries: typeof config.max_retries === 'number' ? config.max_retries : undefined,
      userAgent: `terraform-provider-claresia/${version}`,
    },
  };
}
