/** Provider block and environment → client options. The block wins over the environment. */
import type { ClientOptions } from '@claresia/client';
import { UNKNOWN, type ObjectValue } from './values/cty.js';
import { parseDuration } from './duration.js';
import { error, warning, type Diagnostic } from './diagnostics.js';

export type Source = 'block' | 'environment';

export interface ResolvedConfig {
  /** False while some provider argument is unknown (it depends on a resource not yet applied). */
  known: boolean;
  options?: ClientOptions;
  /** Where each value in options came from, to tell the user which one to fix. */
  sources?: { endpoint?: Source; clientId?: Source; clientSecret?: Source; token?: Source };
  /** Errors (then there are no options) and warnings (with options). */
  diagnostics: Diagnostic[];
}

const ENV = { endpoint: 'CLARESIA_ENDPOINT', token: 'CLARESIA_TOKEN', client_id: 'CLARESIA_CLIENT_ID', client_secret: 'CLARESIA_CLIENT_SECRET' } as const;

/** Where a value of the provider is set, in the words of a diagnostic. */
export function describeSource(attribute: keyof typeof ENV, source: Source | undefined): string {
  return source === 'environment' ? ENV[attribute] : `${attribute} in the provider block`;
}

/**
 * A token and client credentials given at the same level, both in the block or both in the
 * environment with none in the block: the token is used and the others ignored, which nothing
 * in the configuration shows. Credentials in the block overriding the environment are not
 * warned about: that is how an aliased provider signs in as a tenant beside an operator's
 * CLARESIA_TOKEN.
 */
function ignoredCredentials(config: ObjectValue, environ: NodeJS.ProcessEnv): Diagnostic[] {
  const inBlock = (k: 'token' | 'client_id' | 'client_secret') => typeof config[k] === 'string' && config[k] !== '';
  const blockClient = (['client_id', 'client_secret'] as const).filter(inBlock);
  if (inBlock('token') && blockClient.length) {
    const ignored = blockClient.join(' and ');
    return [
      warning(
        `token is used; ${ignored} ${blockClient.length > 1 ? 'are' : 'is'} ignored`,
        `The provider block sets both token and ${ignored}. The provider signs in with token and ignores ${ignored}; remove the one you do not mean.`,
        ['token'],
      ),
    ];
  }
  const set = (v: unknown) => v !== null && v !== undefined;
  if (set(config.token) || set(config.client_id) || set(config.client_secret) || !environ[ENV.token]) return [];
  const envClient = [ENV.client_id, ENV.client_secret].filter((k) => environ[k]);
  if (!envClient.length) return [];
  const ignored = envClient.join(' and ');
  return [
    warning(
      `${ENV.token} is used; ${ignored} ${envClient.length > 1 ? 'are' : 'is'} ignored`,
      `${ENV.token} and ${ignored} are ${envClient.length > 1 ? 'all' : 'both'} set, and the provider block sets no credentials: the provider signs in with ${ENV.token} and ignores ${ignored}. ` +
        `Unset ${ENV.token} to sign in with the client credentials, or write the credentials you mean in the provider block: there, they take nothing of the other kind from the environment.`,
    ),
  ];
}

interface Picked {
  value: string | undefined | typeof UNKNOWN;
  source?: Source;
}

function pick(config: ObjectValue, key: keyof typeof ENV, environ: NodeJS.ProcessEnv): Picked {
  const v = config[key];
  if (v === UNKNOWN) return { value: UNKNOWN };
  if (typeof v === 'string' && v !== '') return { value: v, source: 'block' };
  const e = environ[ENV[key]];
  return e && e !== '' ? { value: e, source: 'environment' } : { value: undefined };
}

/** Why an endpoint cannot be used, or undefined when it can. */
function endpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `is a ${url.protocol.replace(/:$/, '')} URL, not http(s)`;
  // The HTTP client would send it as Basic authentication, refused beside the client credentials,
  // and the URL is logged: credentials go in token or client_id/client_secret, never here.
  if (url.username || url.password) return 'carries a user name or password; give credentials as token or client_id/client_secret instead';
  return undefined;
}

/** The endpoint as an error may show it: any user name and password in it replaced. */
function shownEndpoint(endpoint: string): string {
  if (!URL.canParse(endpoint)) return JSON.stringify(endpoint);
  const url = new URL(endpoint);
  if (!url.username && !url.password) return JSON.stringify(endpoint);
  url.username = 'REDACTED';
  url.password = '';
  return JSON.stringify(url.href);
}

/**
 * Checks of the provider block that need no environment, for ValidateProviderConfig (and
 * again at configure): each at its attribute.
 */
export function providerBlockDiagnostics(config: ObjectValue): Diagnostic[] {
  const out: Diagnostic[] = [];
  const endpoint = config.endpoint;
  // A value that is no URL at all is refused by the schema's format check; this one adds the scheme.
  if (typeof endpoint === 'string' && URL.canParse(endpoint)) {
    const problem = endpointProblem(endpoint);
    if (problem) out.push(error('Invalid endpoint', `endpoint in the provider block ${problem}: ${shownEndpoint(endpoint)}. Write the control plane's base URL, such as https://api.claresia.example.`, ['endpoint']));
  }
  const timeout = config.request_timeout;
  if (typeof timeout === 'string') {
    const ms = parseDuration(timeout);
    if (ms === undefined) out.push(error('Invalid duration', `"${timeout}" is not a duration such as 30s.`, ['request_timeout']));
    else if (ms <= 0) out.push(error('Invalid request_timeout', `request_timeout must be more than zero: with "${timeout}" no request could be answered.`, ['request_timeout']));
  }
  return out;
}

export function resolveConfig(config: ObjectValue, environ: NodeJS.ProcessEnv = process.env, version = 'dev'): ResolvedConfig {
  const endpointPick = pick(config, 'endpoint', environ);
  const endpoint = endpointPick.value;
  // Credentials written in the block choose the kind of sign-in: a block with client_id (say,
  // from a tenant created in the same configuration) must not pick up an operator
  // CLARESIA_TOKEN, and a block with a token takes nothing from the environment. The other half
  // of a client_id/client_secret pair may still come from it: an imported tenant's secret is not
  // in state (it is shown once, at creation), so CLARESIA_CLIENT_SECRET supplies it.
  const set = (v: unknown) => v !== null && v !== undefined;
  const blockToken = set(config.token);
  const blockClient = set(config.client_id) || set(config.client_secret);
  const tokenPick = pick(config, 'token', blockToken || blockClient ? {} : environ);
  const clientEnv = blockToken ? {} : environ;
  const idPick = pick(config, 'client_id', clientEnv);
  const secretPick = pick(config, 'client_secret', clientEnv);
  const [token, clientId, clientSecret] = [tokenPick.value, idPick.value, secretPick.value];
  if ([endpoint, token, clientId, clientSecret, config.request_timeout, config.max_retries].includes(UNKNOWN)) {
    return { known: false, diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = [];
  if (!endpoint) diagnostics.push(error('Missing endpoint', 'Set endpoint in the provider block or CLARESIA_ENDPOINT.', ['endpoint']));
  else if (endpointPick.source === 'environment' && endpointProblem(endpoint as string)) {
    diagnostics.push(
      error('Invalid endpoint', `CLARESIA_ENDPOINT ${endpointProblem(endpoint as string)}: ${shownEndpoint(endpoint as string)}. Set it to the control plane's base URL, such as https://api.claresia.example, or set endpoint in the provider block.`, ['endpoint']),
    );
  }
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
  diagnostics.push(...providerBlockDiagnostics(config));
  if (diagnostics.length) return { known: true, diagnostics };
  const timeoutMs = typeof config.request_timeout === 'string' ? parseDuration(config.request_timeout) : undefined;
  return {
    known: true,
    diagnostics: ignoredCredentials(config, environ),
    sources: token ? { endpoint: endpointPick.source, token: tokenPick.source } : { endpoint: endpointPick.source, clientId: idPick.source, clientSecret: secretPick.source },
    options: {
      endpoint: endpoint as string,
      ...(token ? { token: token as string } : { clientId: clientId as string, clientSecret: clientSecret as string }),
      timeoutMs,
      maxRetries: typeof config.max_retries === 'number' ? config.max_retries : undefined,
      userAgent: `terraform-provider-claresia/${version}`,
    },
  };
}
