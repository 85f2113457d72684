import assert from 'node:assert/strict';
import { emailVerifiedClaim } from '../../control-plane/src/sso/email-verified.js';

/** The IdPs' ways of saying whether the email they sent is verified (the sign-in itself is in rbac-oidc.test.ts). */
describe('sso: reading email_verified', () => {
  it('true or "true" vouches, any other value present refuses, silence is no statement', () => {
    for (const v of [true, 'true', 'TRUE', ' True ']) assert.equal(emailVerifiedClaim({ email_verified: v }), true, JSON.stringify(v));
    for (const v of [false, 'false', 'no', '', null, 0, 1, 'yes']) assert.equal(emailVerifiedClaim({ email_verified: v }), false, JSON.stringify(v));
    assert.equal(emailVerifiedClaim({ email: 'a@b.example' }), undefined);
  });

  it("reads Entra ID's xms_edov too; when both are sent, both must vouch", () => {
    assert.equal(emailVerifiedClaim({ xms_edov: false }), false);
    assert.equal(emailVerifiedClaim({ xms_edov: true }), true);
    assert.equal(emailVerifiedClaim({ xms_edov: 'false' }), false);
    assert.equal(emailVerifiedClaim({ email_verified: true, xms_edov: false }), false);
    assert.equal(emailVerifiedClaim({ email_verified: 'true', xms_edov: true }), true);
    assert.equal(emailVerifiedClaim({ email_verified: false, xms_edov: true }), false);
  });
});
