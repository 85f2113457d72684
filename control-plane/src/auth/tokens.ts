import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Db, Queryable } from '../db/connection.js';
import type { KeyRing } from '../crypto/keys.js';
import { constantTimeEqual, newId } from '../crypto/secrets.js';
import { unauthorized } from '../http/errors.js';
import type { Principal } from './principal.js';
import { subjectAccess } from '../rbac/access.js';
import type { Role } from '../rbac/roles.js';

const ISSUER = 'claresia-control-plane';
const AUDIENCE = 'claresia-api';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  jti: string;
}

/** Issues a short-lived JWT and records its session so it can be revoked before it expires. */
export async function issueToken(
  trx: Queryable,
  keys: KeyRing,
  ttlSeconds: number,
  subject: { tenantId: string; type: 'service_account' | 'user'; id: string; actor: string },
): Promise<IssuedToken> {
  const key = await keys.activeKey(trx, 'jwt');
  const jti = newId('jti', 12);
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ tid: subject.tenantId, typ: subject.type, act: subject.actor })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.id, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject.id)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key.privateKey);
  await trx('auth_sessions').insert({
    jti,
    tenant_id: subject.tenantId,
    subject_type: subject.type,
    subject_id: subject.id,
    issued_at: new Date(now * 1000),
    expires_at: new Date((now + ttlSeconds) * 1000),
  });
  return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, jti };
}

/**
 * Resolves a bearer token to a principal. The session row is read on every call: that read
 * is what makes revocation (and de-provisioning) take effect on the very next request, on
 * every replica.
 */
export async function authenticate(db: Db, keys: KeyRing, operatorToken: string, header: string | undefined): Promise<Principal> {
  if (!header) throw unauthorized('missing Authorization header (expected "Bearer <token>")');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized('Authorization header must be "Bearer <token>"');
  const token = m[1]!;
  if (!token.includes('.')) {
    if (constantTimeEqual(token, operatorToken)) return { kind: 'operator' };
    throw unauthorized('invalid token');
  }
  const key = await keys.activeKey(db, 'jwt');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw unauthorized('token expired');
    throw unauthorized('invalid token');
  }
  const session = await db('auth_sessions')
    .join('tenants', 'tenants.id', 'auth_sessions.tenant_id')
    .where('auth_sessions.jti', String(payload.jti))
    .first('auth_sessions.revoked_at', 'auth_sessions.tenant_id', 'tenants.status');
  if (!session || session.tenant_id !== payload.tid) throw unauthorized('invalid token');
  if (session.revoked_at) throw unauthorized('token revoked');
  if (session.status === 'offboarded') throw unauthorized('tenant is offboarded');
  const tenantId = String(payload.tid);
  const subjectId = String(payload.sub);
  let role: Role = 'tenant_admin';
  if (payload.typ === 'user') {
    // Read on every call, so a change of groups or mappings applies to the next request.
    const access = await subjectAccess(db, tenantId, subjectId);
    if (!access.role) throw unauthorized(`user has no access (${access.reason === 'inactive' ? 'de-provisioned' : access.reason === 'no_role' ? 'in no mapped claresia-* group' : 'no longer in the directory'})`);
    role = access.role;
  }
  return {
    kind: 'tenant',
    tenantId,
    subjectType: payload.typ === 'user' ? 'user' : 'service_account',
    subjectId,
    actor: String(payload.act ?? payload.sub),
    jti: String(payload.jti),
    role,
  };
}

/** Revokes every live session of a subject (a deleted service account, a de-provisioned user). */
export async function revokeSessionsOf(trx: Queryable, tenantId: string, subjectType: string, subjectId: string): Promise<number> {
  return trx('auth_sessions')
    .where({ tenant_id: tenantId, subject_type: subjectType, subject_id: subjectId })
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', new Date())
    .update({ revoked_at: new Date() });
}
