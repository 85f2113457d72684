import { LLM_DEFAULT_BASE_URLS } from '@claresia/catalog';
import { jsonBody, missingScopes, otherStatus, platformCode, platformUrl, scopeList, sendPublish, unreachable, type PlatformAdapter } from '../adapter.js';

const REQUIRED = ['chat:write', 'commands', 'users:read', 'users:read.email'] as const;
// Slack answers 200 with {ok: false, error} for a token it does not accept.
const BAD_TOKEN = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/** Slack's Web API: auth.test identifies the bot token; its scopes come back in X-OAuth-Scopes. */
export const slack: PlatformAdapter = {
  platform: 'slack',
  defaultBaseUrl: LLM_DEFAULT_BASE_URLS.slack,
  requiredScopes: REQUIRED,
  async checkCredential(s) {
    let res: Response;
    try {
      res = await s.fetch(platformUrl(s.baseUrl, '/api/auth.test'), {
        method: 'POST',
        headers: { authorization: `Bearer ${s.credential}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        redirect: 'error',
      });
    } catch (err) {
      return unreachable('slack', err);
    }
    const body = await jsonBody(res);
    if (!res.ok) return otherStatus('slack', res, platformCode(body?.error));
    if (body?.ok !== true) {
      const code = platformCode(body?.error);
      if (code && BAD_TOKEN.has(code)) return { ok: false, code: 'invalid_credential', message: `Slack rejected the token (${code})` };
      if (code === 'missing_scope') return { ok: false, code: 'insufficient_scope', message: 'the token lacks a scope Slack requires for auth.test' };
      return { ok: false, code: 'platform_error', message: `Slack answered an error${code ? ` (${code})` : ''}` };
    }
    const scopes = scopeList(res.headers.get('x-oauth-scopes')) ?? [];
    const missing = missingScopes(REQUIRED, scopes);
    if (missing.length) return { ok: false, code: 'insufficient_scope', message: `the token lacks the scopes ${missing.join(', ')}`, missingScopes: missing };
    const team = platformCode(body.team_id);
    return { ok: true, account: team, scopes };
  },
  /**
   * POST /api/skills.grants.set, a Web API method in Slack's style (a Claresia-defined one): JSON
   * `{grants: [{email, skill}], content_hash}`; Slack answers 200 with `{ok: false, error}` on failure.
   */
  async publishGrants(s, set) {
    const headers = { authorization: `Bearer ${s.credential}` };
    const body = { grants: set.grants.map((g) => ({ email: g.email, skill: g.skill })), content_hash: set.contentHash };
    const r = await sendPublish('slack', s, 'POST', '/api/skills.grants.set', headers, body, set);
    if (!('res' in r)) return r;
    if (r.json?.ok !== true) {
      const code = platformCode(r.json?.error);
      return { ok: false, message: `Slack answered an error${code ? ` (${code})` : ''}`, status: r.res.status, rejected: code !== null && (BAD_TOKEN.has(code) || code === 'missing_scope') };
    }
    return { ok: true, status: r.res.status };
  },
};
