import assert from 'node:assert/strict';
import { retryAfterMs } from '../../control-plane/src/llm/adapter.js';

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
