import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type PlatformName = 'claude' | 'copilot' | 'chatgpt' | 'slack';

/** A credential the double accepts, and what it is allowed to do. */
export interface Account {
  credential: string;
  scopes: string[];
  account?: string;
  /** Answer this late, to play a slow platform. */
  delayMs?: number;
}

export interface RecordedCall {
  platform: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** One grant as the double stores it, whatever the platform's own field names. */
export interface PublishedGrant {
  email: string;
  skill: string;
}

/** A publish the double applied (a repeated Idempotency-Key is answered but not applied again). */
export interface AppliedPublish {
  platform: PlatformName;
  idempotencyKey: string;
  contentHash: string;
  grants: PublishedGrant[];
  at: number;
}

export interface PlatformServer {
  url: string;
  /** The grants each platform holds now (the last set applied), sorted. */
  grants(platform: PlatformName): PublishedGrant[];
  /** Every publish applied, in order; `replays` counts those answered from the idempotency record. */
  applied: AppliedPublish[];
  replays: number;
  /** Answer the next `n` publishes to a platform (Infinity: until reset with 0) with HTTP 503. */
  failPublishes(platform: PlatformName, n: number): void;
  /** Called after each applied publish (benchmarks wait on it). */
  onPublish?: (p: AppliedPublish) => void;
  /** base_url for a platform: each one is served under its own prefix. */
  baseUrl(platform: PlatformName): string;
  calls: RecordedCall[];
  addAccount(platform: PlatformName, account: Account): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}

const bearer = (h: http.IncomingHttpHeaders) => /^Bearer (.+)$/.exec(h.authorization ?? '')?.[1];

/**
 * Plays the parts of the four platforms' APIs that a connector test touches, with each
 * platform's own way of saying "bad key" and "missing scope": Anthropic's error objects,
 * OpenAI's "Missing scopes" message, GitHub's X-OAuth-Scopes header, Slack's 200 {ok:false}.
 */
function answer(platform: string, req: http.IncomingMessage, path: string, accounts: Account[]): Answer {
  const h = req.headers;
  switch (`${platform} ${req.method} ${path}`) {
    case 'claude GET /v1/models':
    case 'claude GET /v1/skills': {
      if (h['anthropic-version'] !== '2023-06-01') return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } } };
      const acct = accounts.find((a) => a.credential === h['x-api-key']);
      if (!acct) return { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${String(h['x-api-key']).slice(0, 12)}` } } };
      if (path === '/v1/skills') {
        if (!String(h['anthropic-beta'] ?? '').includes('skills-')) return { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'skills beta header missing' } } };
        if (!acct.scopes.includes('skills')) return { status: 403, body: { type: 'error', error: { type: 'permission_error', message: 'This API key does not have permission to use skills' } } };
        return { status: 200, body: { data: [], has_more: false } };
      }
      return { status: 200, body: { data: [{ id: 'claude-sonnet-4-5', type: 'model' }], has_more: false } };
    }
    case 'chatgpt GET /v1/models': {
      const key = bearer(h);
      const acct = accounts.find((a) => a.credential === key);
      if (!acct) return { status: 401, body: { error: { message: `Incorrect API key provided: ${String(key).slice(0, 6)}***. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', code: 'invalid_api_key' } } };
      if (!acct.scopes.includes('api.model.read')) return { status: 401, body: { error: { message: 'You have insufficient permissions for this operation. Missing scopes: api.model.read.', type: 'invalid_request_error', code: null } } };
      return { status: 200, body: { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] }, headers: { 'openai-organization': acct.account ?? 'org-test' } };
    }
    case 'copilot GET /user': {
      if (!String(h.accept).includes('application/vnd.github')) return { status: 415, body: { message: 'Unsupported media type' } };
      const acct = accounts.find((a) => a.credential === bearer(h));
      if (!acct) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
      return { status: 200, body: { login: acct.account ?? 'octo-admin', id: 1 }, headers: { 'x-oauth-scopes': acct.scopes.join(', ') } };
    }
    case 'slack POST /api/auth.test': {
      const acct = accounts.find((a) => a.credential === bearer(h));
      if (!acct) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
      return { status: 200, body: { ok: true, url: 'https://acme.slack.com/', team: 'Acme', team_id: acct.account ?? 'T0ACME', user: 'claresia', bot_id: 'B01' }, headers: { 'x-oauth-scopes': acct.scopes.join(',') } };
    }
    default:
      return { status: 404, body: { error: 'not_found' } };
  }
}

/** The publish endpoints: each platform's path, credential header and list field. */
const PUBLISH: Record<string, { platform: PlatformName; list: string; email: string; skill: string }> = {
  'claude PUT /v1/skills/grants': { platform: 'claude', list: 'grants', email: 'user_email', skill: 'skill_id' },
  'copilot PUT /copilot/skills/assignments': { platform: 'copilot', list: 'assignments', email: 'email', skill: 'skill' },
  'chatgpt PUT /v1/organization/skill_grants': { platform: 'chatgpt', list: 'data', email: 'email', skill: 'skill_id' },
  'slack POST /api/skills.grants.set': { platform: 'slack', list: 'grants', email: 'email', skill: 'skill' },
};

/** Whether a recorded call was a publish (made by the distribution worker on its own time). */
export const isPublishCall = (c: RecordedCall): boolean => `${c.platform} ${c.method} ${c.path}` in PUBLISH;

export async function startPlatformServer(): Promise<PlatformServer> {
  const accounts = new Map<string, Account[]>();
  const calls: RecordedCall[] = [];
  const current = new Map<PlatformName, PublishedGrant[]>();
  const seenKeys = new Map<PlatformName, Set<string>>();
  const failing = new Map<PlatformName, number>();
  const applied: AppliedPublish[] = [];
  let double: PlatformServer;

  /** A full-set replace keyed by Idempotency-Key, as the adapters' publish calls expect. */
  function publish(platform: string, req: http.IncomingMessage, path: string, raw: string, known: Account[]): Answer | null {
    const spec = PUBLISH[`${platform} ${req.method} ${path}`];
    if (!spec) return null;
    const h = req.headers;
    const token = platform === 'claude' ? h['x-api-key'] : bearer(h);
    const slack = platform === 'slack';
    if (!known.some((a) => a.credential === token)) return slack ? { status: 200, body: { ok: false, error: 'invalid_auth' } } : { status: 401, body: { error: 'unauthorized' } };
    const left = failing.get(spec.platform) ?? 0;
    if (left > 0) {
      failing.set(spec.platform, left - 1);
      return { status: 503, body: { error: { type: 'overloaded_error', code: 'unavailable' } } };
    }
    const key = String(h['idempotency-key'] ?? '');
    if (!key) return { status: 400, body: { error: 'idempotency_key_required' } };
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: { error: 'invalid_json' } };
    }
    const list = body?.[spec.list];
    if (!Array.isArray(list)) return { status: 400, body: { error: `${spec.list}_required` } };
    const seen = seenKeys.get(spec.platform) ?? new Set<string>();
    seenKeys.set(spec.platform, seen);
    if (seen.has(key)) {
      double.replays++;
      return { status: 200, body: slack ? { ok: true, replayed: true } : { replayed: true } };
    }
    seen.add(key);
    const grants = list.map((g: any) => ({ email: String(g[spec.email]), skill: String(g[spec.skill]) })).sort((a, b) => (a.email + '\u0000' + a.skill < b.email + '\u0000' + b.skill ? -1 : 1));
    current.set(spec.platform, grants);
    const rec: AppliedPublish = { platform: spec.platform, idempotencyKey: key, contentHash: String(body.content_hash), grants, at: Date.now() };
    applied.push(rec);
    double.onPublish?.(rec);
    return { status: 200, body: slack ? { ok: true } : { grants: grants.length } };
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://double');
    const [, platform = '', ...rest] = u.pathname.split('/');
    const path = '/' + rest.join('/');
    calls.push({ platform, method: req.method ?? '', path, headers: req.headers });
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const known = accounts.get(platform) ?? [];
      const a = publish(platform, req, path, raw, known) ?? answer(platform, req, path, known);
      const token = req.headers['x-api-key'] ?? bearer(req.headers);
      const delay = known.find((k) => k.credential === token)?.delayMs ?? 0;
      setTimeout(() => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...(a.headers ?? {}) });
        res.end(JSON.stringify(a.body));
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  double = {
    url,
    baseUrl: (p) => `${url}/${p}`,
    calls,
    applied,
    replays: 0,
    grants: (p) => [...(current.get(p) ?? [])],
    failPublishes(p, n) {
      failing.set(p, n);
    },
    addAccount(p, a) {
      accounts.set(p, [...(accounts.get(p) ?? []), a]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return double;
}
