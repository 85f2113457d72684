/**
 * The claims an OpenID Connect IdP vouches for its email with:
 * OIDC Core 5.1 `email_verified` (Okta, Keycloak, Google, Auth0; Cognito and some gateways send
 * it as a string), then Entra ID's optional `xms_edov` (email domain owner verified), which
 * Microsoft advises relying parties to request since Entra sends no email_verified.
 */
const VERIFIED_CLAIMS = ['email_verified', 'xms_edov'] as const;

const vouches = (v: unknown) => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');

/**
 * What the IdP says about the email it sent: true when every one of these claims it sent is
 * true (or "true"), false when one is anything else (false, "false", null, a number), undefined
 * when it sends none. An IdP that sends none (Entra ID by default) must not lock its users out;
 * a broker passing on both its own claim and the upstream one is believed only if both agree.
 */
export function emailVerifiedClaim(claims: Record<string, unknown>): boolean | undefined {
  const sent = VERIFIED_CLAIMS.filter((c) => Object.prototype.hasOwnProperty.call(claims, c));
  if (!sent.length) return undefined;
  return sent.every((c) => vouches(claims[c]));
}

export const EMAIL_NOT_VERIFIED = {
  code: 'email_not_verified',
  message: 'the IdP says this email address is not verified (email_verified, or Entra ID xms_edov, is not true); the user must verify it at the IdP',
} as const;
