import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS } from '../../../control-plane/src/logger.js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { onScimChange } from '../../../control-plane/src/scim/hooks.js';
import { makeDirectory, scim, user } from './helpers.js';

describe('scim logs and errors carry no secret', function () {
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

  it('neither the directory token, a rotated token, a password nor a failing request body reaches a log line or an answer', async () => {
    const t = await cp.createTenant();
    const d = await makeDirectory(cp, t);
    const s = scim(cp, d);
    const answers: string[] = [];
    answers.push((await s('POST', '/Users', user('log@acme.example', { password: 'pw-7c1e4a9b' }))).text);
    answers.push((await s('POST', '/Users', '{"userName": "pw-7c1e4a9b",')).text);
    const off = onScimChange(async () => {
      throw new Error('listener failed');
    });
    try {
      answers.push((await s('POST', '/Users', user('boom@acme.example', { password: 'pw-7c1e4a9b' }))).text);
    } finally {
      off();
    }
    const rot = await cp.request('POST', `/api/v1/identity/scim/directories/${d.id}/token:rotate`, { token: t.token });
    answers.push((await s('GET', '/Users')).text);
    answers.push((await cp.request('GET', `/api/v1/identity/scim/directories/${d.id}`, { token: t.token })).text);
    const sync = await cp.request('POST', '/api/v1/roster/scim:sync', { token: t.token });
    answers.push(sync.text);
    assert.equal(sync.body.errors.total, 2, JSON.stringify(sync.body.errors));
    const all = lines.join('');
    for (const l of lines) JSON.parse(l);
    assert.match(all, /scim: unhandled error/, 'the listener failure was logged');
    for (const secret of [d.token, rot.body.bearer_token, 'pw-7c1e4a9b']) {
      assert.ok(!all.includes(secret), `a secret reached the log: ${secret.slice(0, 8)}`);
      assert.ok(!answers.join('').includes(secret), `a secret reached an answer: ${secret.slice(0, 8)}`);
    }
    const stored = JSON.stringify(await cp.db('scim_changes')) + JSON.stringify(await cp.db('governance_events')) + JSON.stringify(await cp.db('scim_users'));
    assert.ok(!stored.includes('pw-7c1e4a9b') && !stored.includes(d.token), 'nor the database');
  });
});
