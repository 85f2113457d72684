/**
 * How the CLI reaches a control plane as a tenant: the URL from --url or CLARESIA_URL, and a
 * tenant JWT from CLARESIA_TOKEN, or client credentials (CLARESIA_CLIENT_ID and
 * CLARESIA_CLIENT_SECRET) exchanged for one. Secrets come only from the environment, never
 * from arguments, so they stay out of shell history and process listings.
 */
export interface Session {
  url: string;
  token: string;
}

export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

export async function openSession(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const url = (flag(args, '--url') ?? env.CLARESIA_URL ?? `http://127.0.0.1:${env.PORT ?? 8080}`).replace(/\/+$/, '');
  if (env.CLARESIA_TOKEN) return { url, token: env.CLARESIA_TOKEN };
  const id = env.CLARESIA_CLIENT_ID;
  const secret = env.CLARESIA_CLIENT_SECRET;
  if (!id || !secret) throw new Error('set CLARESIA_TOKEN, or CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET');
  const res = await fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: { message?: string } };
  if (!res.ok || !body.access_token) throw new Error(`sign-in failed (${res.status}): ${body.error?.message ?? 'no token'}`);
  return { url, token: body.access_token };
}

export async function apiError(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; field?: string } };
  const e = body.error;
  return new Error(`${res.status}: ${e?.message ?? res.statusText}${e?.field ? ` (field ${e.field})` : ''}`);
}
