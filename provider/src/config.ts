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
  // Credentials written in the block choose the kind of sign-in: a block with client_id (say,
  // from a tenant created in the same configuration) must not pick up an operator
  // CLARESIA_TOKEN, and a block with a token takes nothing from the environment. The other half
  // of a client_id/client_secret pair may still come from it: an imported tenant's secret is not
  // in state (it is shown once, at creation), so CLARESIA_CLIENT_SECRET supplies it.
  const set = (v: unknown) => v !== null && v !== undefined;
  const blockToken = set(config.token);
  const blockClient = set(config.client_id) || set(config.client_secret);
  const token = pick(config, 'token', 'CLARESIA_TOKEN', blockToken || blockClient ? {} : environ);
  const clientEnv = blockToken ? {} : environ;
  const clientId = pick(config, 'client_id', 'CLARESIA_CLIENT_ID', clientEnv);
  const clientSecret = pick(config, 'client_secret', 'CLARESIA_CLIENT_SECRET', clientEnv);
  if ([endpoint, token, clientId, clientSecret, config.request_timeout, config.max_retries].includes(UNKNOWN)) {
    return { known: false, diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = [];
  if (!endpoint) diagnostics.push(error('Missing endpoint', 'Set endpoint in the provider block or CLARESIA_ENDPOINT.', ['endpoint']));
  if (!token && clientId && !clientSecret) {
    diagnostics.push(
      error(
        'Missing client_secret',
        'client_id is set but client_secret is not: set client_secret in the provider block or CLARESIA_CLIENT_SECRET. ' +
          "A tenant's client_secret is returned once, when it is created: after `terraform import` of the tenant, Terraform does not have it.",
        ['client_secret'],
      ),
    );
  } else if (!token && clientSecret && !clientId) {
    diagnostics.push(error('Missing client_id', 'client_secret is set but client_id is not: set client_id in the provider block or CLARESIA_CLIENT_ID.', ['client_id']));
  } else if (!token && !(clientId && clientSecret)) {
    diagnostics.push(
      error(
        'Missing credentials',
        blockToken
          ? 'token is set in the provider block but empty.'
          : 'Set token (CLARESIA_TOKEN), or client_id and client_secret (CLARESIA_CLIENT_ID, CLARESIA_CLIENT_SECRET).',
      ),
    );
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
