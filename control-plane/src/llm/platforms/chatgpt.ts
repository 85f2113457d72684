import { LLM_DEFAULT_BASE_URLS } from '@claresia/catalog';
import { jsonBody, otherStatus, platformCode, platformUrl, sendPublish, unreachable, type PlatformAdapter } from '../adapter.js';

/**
 * OpenAI's API. A restricted key that lacks a permission is refused with 401 or 403 and a
 * message that names the missing scopes ("Missing scopes: api.model.read"); only those scope
 * names are carried over, never the message (it can quote part of the key).
 */
function scopesNamedIn(message: unknown): string[] {
  if (typeof message !== 'string') return [];
  const m = /missing scopes?:\s*([a-z0-9_.:, ]+)/i.exec(message);
  return m
    ? m[1]!
        .split(/[ ,]+/)
        .map((s) => s.replace(/\.+$/, ''))
        .filter((s) => /^[a-z0-9_.:]+$/i.test(s))
    : [];
}

export const chatgpt: PlatformAdapter = {
  platform: 'chatgpt',
  defaultBaseUrl: LLM_DEFAULT_BASE_URLS.chatgpt,
  requiredScopes: ['api.model.read'],
  async checkCredential(s) {
    let res: Response;
    try {
      res = await s.fetch(platformUrl(s.baseUrl, '/v1/models'), {
        headers: { authorization: `Bearer ${s.credential}`, accept: 'application/json' },
        redirect: 'error',
      });
    } catch (err) {
      return unreachable('chatgpt', err);
    }
    if (res.ok) {
      const org = res.headers.get('openai-organization');
      return { ok: true, account: org && platformCode(org) ? org : null, scopes: null };
    }
    const err = (await jsonBody(res))?.error;
    const missing = scopesNamedIn(err?.message);
    const code = platformCode(err?.code) ?? platformCode(err?.type);
    if ((res.status === 401 || res.status === 403) && missing.length > 0) {
      return { ok: false, code: 'insufficient_scope', message: `the API key lacks the scopes ${missing.join(', ')}`, missingScopes: missing };
    }
    if (res.status === 403) return { ok: false, code: 'insufficient_scope', message: `the API key may not list models${code ? ` (${code})` : ''}` };
    if (res.status === 401) return { ok: false, code: 'invalid_credential', message: `OpenAI rejected the API key${code ? ` (${code})` : ''}` };
    return otherStatus('chatgpt', res, code);
  },
  /**
   * PUT /v1/organization/skill_grants in OpenAI's list style: `{object: "list", data: [{email,
   * skill_id}], content_hash}` (a Claresia-defined endpoint).
   */
  async publishGrants(s, set) {
    const headers = { authorization: `Bearer ${s.credential}`, accept: 'application/json' };
    const body = { object: 'list', data: set.grants.map((g) => ({ email: g.email, skill_id: g.skill })), content_hash: set.contentHash };
    const r = await sendPublish('chatgpt', s, 'PUT', '/v1/organization/skill_grants', headers, body, set);
    return 'res' in r ? { ok: true, status: r.res.status } : r;
  },
};
