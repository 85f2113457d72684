/**
 * What an OpenID Connect IdP says about the email it sent (OIDC Core 5.1 `email_verified`):
 * true or false, or undefined when it says nothing. Okta, Keycloak, Google and Auth0 send a
 * boolean; Cognito and some gateways send the strings "true" / "false"; Entra ID sends no
 * claim at all, so its silence must not lock users out.
 */
export function emailVerifiedClaim(claims: Record<string, unknown>): boolean | undefined {
  if (!Object.prototype.hasOwnProperty.call(claims, 'email_verified')) return undefined;
  const v = claims.email_verified;
  if (v === true) return true;
  if (typeof v === 'string' && v.trim().toLowerCase() === 'true') return true;
  // Present but anything else (false, "false", null, a number): the address is not vouched for.
  return false;
}

export const EMAIL_NOT_VERIFIED = {
  code: 'email_not_verified',
  message: 'the IdP says this email address is not verified (email_verified is not true); the user must verify it at the IdP',
} as const;
