import { LLM_DEFAULT_BASE_URLS } from '@claresia/catalog';
import { jsonBody, missingScopes, otherStatus, platformUrl, rateLimit, scopeList, sendPublish, unreachable, type PlatformAdapter } from '../adapter.js';

const REQUIRED = ['manage_billing:copilot', 'read:org'] as const;
// GitHub's scope hierarchy: a broader scope grants the narrower ones.
const IMPLIED: Record<string, readonly string[]> = { 'admin:org': ['read:org', 'write:org'], 'write:org': ['read:org'] };

/**
 * GitHub's REST API (Copilot Business/Enterprise seats are managed there). A classic token's
 * scopes come back in X-OAuth-Scopes; a fine-grained token has none and is judged by the
 * calls it is allowed to make.
 */
export const copilot: PlatformAdapter = {
  platform: 'copilot',
  defaultBaseUrl: LLM_DEFAULT_BASE_URLS.copilot,
  requiredScopes: REQUIRED,
  async checkCredential(s) {
    let res: Response;
    try {
      res = await s.fetch(platformUrl(s.baseUrl, '/user'), {
        headers: { authorization: `Bearer ${s.credential}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
        redirect: 'error',
      });
    } catch (err) {
      return unreachable('copilot', err);
    }
    if (res.status === 401) return { ok: false, code: 'invalid_credential', message: 'GitHub rejected the token (bad credentials)' };
    // A rate limit says nothing about the token: platform_error, so the automatic test retries
    // and a connected connector stays connected.
    if (res.status === 403 && rateLimit(res)) return otherStatus('copilot', res, 'rate_limited');
    if (res.status === 403) return { ok: false, code: 'insufficient_scope', message: 'the token may not read its own user' };
    if (!res.ok) return otherStatus('copilot', res, null);
    const scopes = scopeList(res.headers.get('x-oauth-scopes'));
    const login = (await jsonBody(res))?.login;
    const account = typeof login === 'string' && /^[A-Za-z0-9-]{1,39}$/.test(login) ? login : null;
    if (scopes) {
      const missing = missingScopes(REQUIRED, scopes, IMPLIED);
      if (missing.length) return { ok: false, code: 'insufficient_scope', message: `the token lacks the scopes ${missing.join(', ')}`, missingScopes: missing };
    }
    return { ok: true, account, scopes };
  },
  /**
   * PUT /copilot/skills/assignments in GitHub's REST style: `{assignments: [{email, skill}],
   * content_hash}` (a Claresia-defined endpoint, as GitHub has none for skills).
   */
  async publishGrants(s, set) {
    const headers = { authorization: `Bearer ${s.credential}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    const body = { assignments: set.grants.map((g) => ({ email: g.email, skill: g.skill })), content_hash: set.contentHash };
    const r = await sendPublish('copilot', s, 'PUT', '/copilot/skills/assignments', headers, body, set);
    return 'res' in r ? { ok: true, status: r.res.status } : r;
  },
};
