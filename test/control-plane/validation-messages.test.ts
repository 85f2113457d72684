/** The words of a validation error, keyword by keyword: what a caller reads instead of ajv's own. */
import assert from 'node:assert/strict';
import { validateBody } from '../../control-plane/src/http/validate.js';
import { ApiError } from '../../control-plane/src/http/errors.js';
import { apiRateLimitsFrom, DEFAULT_API_RATE_LIMITS } from '../../control-plane/src/http/rate-limit.js';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1, maxItems: 3 },
    name: { type: 'string', minLength: 1, maxLength: 5 },
    code: { type: 'string', minLength: 3 },
    size: { type: 'integer', minimum: 1, maximum: 10 },
    ratio: { type: 'number', exclusiveMinimum: 0 },
    kind: { const: 'fixed' },
    labels: { type: 'object', minProperties: 1 },
    pair: { type: 'array', prefixItems: [{ type: 'string' }], items: false },
    flag: { type: ['boolean', 'null'] },
  },
};

function refusal(body: unknown): { field?: string; message: string } {
  try {
    validateBody(SCHEMA, body);
  } catch (err) {
    assert.ok(err instanceof ApiError && err.status === 400, String(err));
    return { field: err.field, message: err.message };
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('validation messages: sentences naming the field, with the index of a list entry', () => {
  const cases: Array<[unknown, string, string]> = [
    [{ tags: ['a', 'b', 'a'] }, 'tags[2]', 'tags[2] duplicates tags[0]; list each value once'],
    [{ tags: [] }, 'tags', 'tags must have at least 1 item'],
    [{ tags: ['a', 'b', 'c', 'd'] }, 'tags', 'tags must have at most 3 items'],
    [{ tags: ['a', 7] }, 'tags[1]', 'tags[1] must be a string'],
    [{ name: '' }, 'name', 'name must not be empty'],
    [{ name: 'toolong' }, 'name', 'name must be at most 5 characters long'],
    [{ code: 'ab' }, 'code', 'code must be at least 3 characters long'],
    [{ size: 0 }, 'size', 'size must be at least 1'],
    [{ size: 11 }, 'size', 'size must be at most 10'],
    [{ size: 1.5 }, 'size', 'size must be a whole number'],
    [{ ratio: 0 }, 'ratio', 'ratio must be greater than 0'],
    [{ kind: 'other' }, 'kind', 'kind must be "fixed"'],
    [{ labels: {} }, 'labels', 'labels must have at least 1 field'],
    [{ pair: ['a', 'b'] }, 'pair', 'pair must have at most 1 item'],
    [{ flag: 'yes' }, 'flag', 'flag must be true or false or null'],
  ];
  for (const [body, field, message] of cases) {
    it(`${JSON.stringify(body)} -> ${message}`, () => {
      const r = refusal(body);
      assert.equal(r.field, field);
      assert.equal(r.message, message);
      assert.doesNotMatch(r.message, /must NOT|##|>=|<=/);
    });
  }
});

describe('API rate limit settings', () => {
  it('reads each budget from its environment variables, else the defaults, and refuses a bad value by name', () => {
    const limits = apiRateLimitsFrom(undefined, { CLARESIA_API_RATE_PER_SECOND: '7', CLARESIA_API_ANONYMOUS_RATE_BURST: '9' });
    assert.deepEqual(limits.tenant, { ...DEFAULT_API_RATE_LIMITS.tenant, sustainedPerSecond: 7 });
    assert.deepEqual(limits.anonymous, { ...DEFAULT_API_RATE_LIMITS.anonymous, burstPerSecond: 9 });
    assert.deepEqual(limits.operator, DEFAULT_API_RATE_LIMITS.operator);
    assert.deepEqual(apiRateLimitsFrom({ operator: { windowSeconds: 30 } }, {}).operator, { ...DEFAULT_API_RATE_LIMITS.operator, windowSeconds: 30 });
    assert.throws(() => apiRateLimitsFrom(undefined, { CLARESIA_API_OPERATOR_RATE_BURST: '0' }), /CLARESIA_API_OPERATOR_RATE_BURST/);
    assert.throws(() => apiRateLimitsFrom(undefined, { CLARESIA_API_RATE_WINDOW_SECONDS: '7200' }), /CLARESIA_API_RATE_WINDOW_SECONDS/);
  });
});
