import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from '../../control-plane/src/webhooks/signature.js';

const BODY = '{"id":"evt_1","type":"user.created"}';
const T = 1_800_000_000;
const mac = (secret: string, t = T, body = BODY) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

describe('webhook signature header', function () {
  it('carries one v1 per signing secret, the current one first, over "<t>.<body>"', () => {
    assert.equal(signatureHeader('new-secret-0123456789', BODY, T), `t=${T},v1=${mac('new-secret-0123456789')}`);
    assert.equal(signatureHeader(['new-secret-0123456789', 'old-secret-0123456789'], BODY, T), `t=${T},v1=${mac('new-secret-0123456789')},v1=${mac('old-secret-0123456789')}`);
  });

  it('verifies when any v1 matches the secret a receiver holds, and only then', () => {
    const header = signatureHeader(['new-secret-0123456789', 'old-secret-0123456789'], BODY, T);
    assert.ok(verifySignature('new-secret-0123456789', BODY, header, T));
    assert.ok(verifySignature('old-secret-0123456789', BODY, header, T));
    assert.ok(!verifySignature('another-secret-012345', BODY, header, T));
    assert.ok(!verifySignature('new-secret-0123456789', `${BODY} `, header, T));
    assert.ok(!verifySignature('new-secret-0123456789', BODY, header, T + 301), 'too old');
  });

  it('skips schemes it does not know and refuses a header with no single timestamp', () => {
    const s = 'new-secret-0123456789';
    assert.ok(verifySignature(s, BODY, `t=${T},v0=abc,v1=${mac(s)}`, T));
    assert.ok(!verifySignature(s, BODY, `v1=${mac(s)}`, T), 'no t');
    assert.ok(!verifySignature(s, BODY, `t=${T},t=${T + 1},v1=${mac(s)}`, T), 'two t');
    assert.ok(!verifySignature(s, BODY, `t=${T}`, T), 'no v1');
    assert.ok(!verifySignature(s, BODY, `t=1e9,v1=${mac(s, 1e9)}`, 1e9), 't not in digits');
  });
});
