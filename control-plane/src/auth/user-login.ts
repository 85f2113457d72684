import type { AppContext } from '../context.js';
import type { Tx } from '../db/connection.js';
import { appendEvent } from '../audit/chain.js';
import type { ConnectionRow } from '../sso/connections.js';
import type { SsoProfile } from '../sso/profile.js';
import { findPersonByEmail, type Denial } from '../rbac/access.js';
import { EMAIL_NOT_VERIFIED } from '../sso/email-verified.js';
import { ensureDefaultMappings } from '../rbac/mappings.js';
import { refuseOffboardedTenant } from './tenant-status.js';
import { linkSessionToConnection } from './sessions.js';
import { issueToken } from './tokens.js';

type Refusal = Denial | 'email_not_verified';

const DENIALS: Record<Refusal, { code: string; message: string }> = {
  // An unverified address may be anyone's (self-registration, an editable profile), so it
  // must not be matched against the tenant's users at all.
  email_not_verified: EMAIL_NOT_VERIFIED,
  not_found: { code: 'user_not_found', message: "no user with this email in the tenant's SCIM directories or roster" },
  inactive: { code: 'user_inactive', message: 'the user is de-provisioned (inactive in the directory)' },
  no_role: { code: 'no_role', message: 'the user is in no claresia-* group mapped to a role (see /api/v1/identity/group-mappings)' },
};

/**
 * The end of a user's SSO sign-in, after the IdP's answer was validated: the email it asserts
 * must be an active user of the tenant holding a role, who then gets a user JWT. A refusal is
 * answered 403 with the reason and recorded (`auth.login_denied`); no token is issued.
 */
export async function completeUserLogin(trx: Tx, app: AppContext, row: ConnectionRow, profile: SsoProfile, loginId: string) {
  const tenantId = row.tenant_id;
  const email = profile.email;
  await refuseOffboardedTenant(trx, tenantId, 'id', true);
  await ensureDefaultMappings(trx, app.keys, tenantId, `sso:${email}`);
  const person = profile.emailVerified === false ? undefined : await findPersonByEmail(trx, tenantId, email);
  const denial: Refusal | undefined = profile.emailVerified === false ? 'email_not_verified' : !person ? 'not_found' : person.access.role ? undefined : person.access.reason;
  if (denial || !person) {
    const d = DENIALS[denial ?? 'not_found'];
    await appendEvent(trx, app.keys, tenantId, {
      type: 'auth.login_denied',
      actor: `sso:${email}`,
      subject: person?.subjectId ?? null,
      data: { method: 'sso', protocol: row.protocol, connection_id: row.id, login_id: loginId, email, reason: d.code },
    });
    return { status: 403, body: { error: { code: d.code, message: `sign-in refused: ${d.message}`, field: 'email' } } };
  }
  const role = person.access.role!;
  const token = await issueToken(trx, app.keys, app.config.tokenTtlSeconds, { tenantId, type: 'user', id: person.subjectId, actor: email });
  await linkSessionToConnection(trx, tenantId, token.jti, row.id);
  await appendEvent(trx, app.keys, tenantId, {
    type: 'auth.login',
    actor: email,
    subject: person.subjectId,
    data: { method: 'sso', protocol: row.protocol, connection_id: row.id, login_id: loginId, email, role, jti: token.jti },
  });
  const { jti: _jti, ...out } = token;
  return { status: 200, body: { ...out, role, email, subject_id: person.subjectId }, headers: { 'Cache-Control': 'no-store' } };
}
