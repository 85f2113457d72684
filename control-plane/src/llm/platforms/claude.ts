import { LLM_DEFAULT_BASE_URLS } from '@claresia/catalog';
import { jsonBody, otherStatus, platformCode, platformUrl, sendPublish, unreachable, type CheckResult, type PlatformAdapter, type PlatformSession } from '../adapter.js';

const VERSION = '2023-06-01';
const SKILLS_BETA = 'skills-2025-10-02';

/** Anthropic's API: the key goes in x-api-key; errors are `{type: "error", error: {type, message}}`. */
async function get(s: PlatformSession, path: string, beta?: string): Promise<Response> {
  const headers: Record<string, string> = { 'x-api-key': s.credential, 'anthropic-version': VERSION, accept: 'application/json' };
  if (beta) headers['anthropic-beta'] = beta;
  return s.fetch(platformUrl(s.baseUrl, path), { headers, redirect: 'error' });
}

async function refusal(res: Response, what: string): Promise<CheckResult> {
  const code = platformCode((await jsonBody(res))?.error?.type);
  if (res.status === 401) return { ok: false, code: 'invalid_credential', message: `Anthropic rejected the API key${code ? ` (${code})` : ''}` };
  if (res.status === 403) return { ok: false, code: 'insufficient_scope', message: `the API key may not ${what}${code ? ` (${code})` : ''}`, missingScopes: ['skills'] };
  return otherStatus('claude', res, code);
}

export const claude: PlatformAdapter = {
  platform: 'claude',
  defaultBaseUrl: LLM_DEFAULT_BASE_URLS.claude,
  // Publishing skills needs the Skills API; listing models proves the key itself.
  requiredScopes: ['skills'],
  async checkCredential(s) {
    try {
      const models = await get(s, '/v1/models?limit=1');
      if (!models.ok) return refusal(models, 'list models');
      const skills = await get(s, '/v1/skills?limit=1', SKILLS_BETA);
      if (!skills.ok) return refusal(skills, 'manage skills');
      return { ok: true, account: null, scopes: ['skills'] };
    } catch (err) {
      return unreachable('claude', err);
    }
  },
  /**
   * PUT /v1/skills/grants under the Skills beta: `{grants: [{user_email, skill_id}], content_hash}`.
   * The shape is Claresia's (Anthropic publishes no grants endpoint): the platform side replaces
   * the organisation's grants with the list and keys the call on Idempotency-Key.
   */
  async publishGrants(s, set) {
    const headers = { 'x-api-key': s.credential, 'anthropic-version': VERSION, 'anthropic-beta': SKILLS_BETA, accept: 'application/json' };
    const body = { grants: set.grants.map((g) => ({ user_email: g.email, skill_id: g.skill })), content_hash: set.contentHash };
    const r = await sendPublish('claude', s, 'PUT', '/v1/skills/grants', headers, body, set);
    return 'res' in r ? { ok: true, status: r.res.status } : r;
  },
};
