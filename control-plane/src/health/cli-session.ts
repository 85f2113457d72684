import { CliError } from '../cli-error.js';

/**
 * How the CLI reaches a control plane as a tenant: the URL from --url or CLARESIA_URL, and a
 * tenant JWT from CLARESIA_TOKEN, or client credentials (CLARESIA_CLIENT_ID and
 * CLARESIA_CLIENT_SECRET) exchanged for one. Secrets come only from the environment, never
 * from arguments, so they stay out of shell history and process listings.
 *
 * Every failure to get that far is a CliError with exit status 2: the command did not run,
 * which callers on a schedule must not mistake for its verdict.
 */
export interface Session {
  url: string;
  token: string;
}

export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new CliError(`${name} needs a value`, 2, { usage: true });
  return v;
}

/** The control plane's base URL, checked so that a typo is named instead of failing inside fetch. */
export function controlPlaneUrl(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const given = flag(args, '--url');
  const [source, raw] = given !== undefined ? ['--url', given] : env.CLARESIA_URL ? ['CLARESIA_URL', env.CLARESIA_URL] : ['PORT', `http://127.0.0.1:${env.PORT || 8080}`];
  if (!URL.canParse(raw) || !['http:', 'https:'].includes(new URL(raw).protocol)) {
    if (source === 'PORT') throw new CliError(`PORT must be a port number (the CLI reaches http://127.0.0.1:PORT without --url or CLARESIA_URL), got "${String(env.PORT).slice(0, 40)}"`, 2);
    throw new CliError(`${source} must be an http(s) URL such as https://claresia.example.com, got "${raw.slice(0, 100)}"`, 2, { usage: source === '--url' });
  }
  return raw.replace(/\/+$/, '');
}

/**
 * fetch's own "fetch failed" names neither the address nor why; the cause (ECONNREFUSED,
 * ENOTFOUND, a TLS error) is what an operator acts on.
 */
export function unreachable(err: unknown, url: string): CliError | undefined {
  if (!(err instanceof TypeError) || err.message !== 'fetch failed') return undefined;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const why = cause?.code ?? cause?.message ?? 'no answer';
  return new CliError(`cannot reach ${url} (${why})`, 2, { cause: err });
}

/** fetch against the control plane at `base`, its transport failures named as unreachable() does. */
export async function request(base: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, init);
  } catch (err) {
    throw unreachable(err, base) ?? err;
  }
}

export async function openSession(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const url = controlPlaneUrl(args, env);
  if (env.CLARESIA_TOKEN) return { url, token: env.CLARESIA_TOKEN };
  const id = env.CLARESIA_CLIENT_ID;
  const secret = env.CLARESIA_CLIENT_SECRET;
  if (!id || !secret) throw new CliError('set CLARESIA_TOKEN, or CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET', 2);
  const res = await request(url, '/api/v1/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: { message?: string } };
  if (!res.ok || !body.access_token) throw new CliError(`sign-in failed (${res.status}): ${body.error?.message ?? 'no token'}`, 2);
  return { url, token: body.access_token };
}

/**
 * The API's answer to a request that failed. A refusal of what was sent (a 4xx other than
 * those below) is the command's verdict, exit 1; an unusable token (401, 403), a rate limit
 * (429) or a server failure (5xx) means the request was never judged, exit 2.
 */
export async function apiError(res: Response): Promise<CliError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; field?: string } };
  const e = body.error;
  const judged = res.status >= 400 && res.status < 500 && ![401, 403, 429].includes(res.status);
  return new CliError(`${res.status}: ${e?.message ?? res.statusText}${e?.field ? ` (field ${e.field})` : ''}`, judged ? 1 : 2);
}
