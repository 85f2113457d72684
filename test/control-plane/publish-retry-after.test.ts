import assert from 'node:assert/strict';
import { retryAfterMs } from '../../control-plane/src/llm/adapter.js';
import { copilot } from '../../control-plane/src/llm/platforms/copilot.js';

describe('publish: reading a platform Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('reads delta-seconds and HTTP dates, a past date as now', () => {
    assert.equal(retryAfterMs('20', now), 20_000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Tue, 01 Dec 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Tue, 01 Dec 2026 11:00:00 GMT', now), 0);
  });
  it('ignores an absent or unreadable header', () => {
    assert.equal(retryAfterMs(null, now), null);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs('-5', now), null);
    assert.equal(retryAfterMs('1.5', now), null);
  });
});

describe('publish: a failure that retrying can fix, or not', () => {
  const set = { grants: [{ email: 'ada@acme.example', skill: 'claresia.core.meeting-notes' }], contentHash: 'sha256:x', idempotencyKey: 'k' };
  // The platform's answer only: what each status and header means is the adapter's to decide.
  const answering = (status: number, headers: Record<string, string>, body: unknown) => ({
    baseUrl: 'https://api.github.com',
    credential: 'ghp_test',
    fetch: async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } }),
  });

  it('a 401 or a plain 403 refuses the credential; a 403 rate limit (GitHub) waits for its reset instead', async () => {
    const bad = await copilot.publishGrants(answering(401, {}, { message: 'Bad credentials' }), set);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.rejected, true);
    const forbidden = await copilot.publishGrants(answering(403, {}, { message: 'Resource not accessible by integration' }), set);
    assert.equal(!forbidden.ok && forbidden.rejected, true);
    const reset = Math.floor(Date.now() / 1000) + 120;
    const limited = await copilot.publishGrants(answering(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, { message: 'API rate limit exceeded' }), set);
    assert.ok(!limited.ok && !limited.rejected);
    assert.ok(!limited.ok && limited.retryAfterMs! > 100_000 && limited.retryAfterMs! <= 120_000, JSON.stringify(limited));
    const secondary = await copilot.publishGrants(answering(403, { 'retry-after': '60' }, { message: 'You have exceeded a secondary rate limit' }), set);
    assert.deepEqual(secondary, { ok: false, message: 'the copilot API answered HTTP 403', status: 403, retryAfterMs: 60_000 });
    const busy = await copilot.publishGrants(answering(429, { 'retry-after': '7' }, {}), set);
    assert.equal(!busy.ok && busy.retryAfterMs, 7000);
  });
});
