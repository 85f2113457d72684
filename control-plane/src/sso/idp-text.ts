/** How much of an IdP's own explanation an error message carries. */
const MAX = 300;

/**
 * Text an IdP put in its error answer (OIDC error_description, SAML StatusMessage), made safe to
 * repeat in an API error: it arrives through the browser, unauthenticated, so control and
 * bidirectional-formatting characters are dropped (no forged log lines or reordered text) and it
 * is cut short. It carries no secret of ours: it is what the IdP tells the user.
 */
export function idpText(raw: unknown, max = MAX): string {
  if (typeof raw !== 'string') return '';
  const clean = raw.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
