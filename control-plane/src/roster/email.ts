/** What the roster takes for an address: one @, a dot in the domain, no spaces, quotes or list separators. */
export const EMAIL = /^[^\s@",;<>()]+@[^\s@",;<>()]+\.[^\s@",;<>()]+$/;

/**
 * The address a SCIM user is known by in the roster and on the platforms: the work email, else
 * a userName that is itself an address; lowercased. Null when neither is an address.
 */
export function scimEmail(email: string | null, userName: string): string | null {
  const e = (email ?? (EMAIL.test(userName) ? userName : '')).trim().toLowerCase();
  return EMAIL.test(e) ? e : null;
}
