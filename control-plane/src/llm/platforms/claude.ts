import { jsonBody, otherStatus, platformCode, platformUrl, unreachable, type CheckResult, type PlatformAdapter, type PlatformSession } from '../adapter.js';

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
  defaultBaseUrl: 'https://api.anthropic.com',
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
};
