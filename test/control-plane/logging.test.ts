import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS } from '../../control-plane/src/logger.js';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';

describe('structured logs', function () {
  let cp: TestControlPlane;
  const lines: string[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    cp = await startControlPlane({ logger: pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink) });
  });
  after(async () => cp?.close());

  it('log every request as JSON and never a secret', async () => {
    const t = await cp.createTenant();
    await cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: t.clientId, client_secret: 'cs_not-the-secret' } });
    await cp.request('GET', '/api/v1/tenant', { token: t.token });
    const all = lines.join('');
    assert.ok(lines.length >= 4);
    for (const l of lines) JSON.parse(l);
    assert.match(all, /"route":"\/api\/v1\/tenants","status":201/);
    for (const secret of [t.clientSecret, t.token, cp.operatorToken, 'cs_not-the-secret']) assert.ok(!all.includes(secret), 'a secret reached the log');
  });

  it('redacts secret-named fields if code ever logs an object holding one', () => {
    const out: string[] = [];
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) }));
    log.info({ client_secret: 'a1', body: { bearer_token: 'b2', credential: 'c3' }, headers: { authorization: 'Bearer d4' } }, 'x');
    assert.ok(!/a1|b2|c3|d4/.test(out.join('')), out.join(''));
  });
});
