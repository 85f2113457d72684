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

/**
 * A SCIM user's login (userName) when it is itself an address, lowercased: HR exports often
 * carry it (the UPN) instead of the work email, and a platform account may be opened under it,
 * so it names the same person as scimEmail does. Null when the userName is no address. EMAIL
 * admits no whitespace, so this equals the stored user_name_lower whenever it is not null.
 */
export function scimLogin(userName: string): string | null {
  return EMAIL.test(userName) ? userName.toLowerCase() : null;
}
