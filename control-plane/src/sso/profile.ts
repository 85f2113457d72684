import { ApiError } from '../http/errors.js';

/** What a test login must deliver: the attributes the runbook asks every IdP to send. */
export interface SsoProfile {
  subject: string;
  email: string;
  firstName: string;
  lastName: string;
  groups: string[];
  /**
   * Whether the IdP vouches that the email belongs to this user: false when it says it does
   * not (OIDC email_verified), undefined when the protocol or the IdP makes no such statement.
   */
  emailVerified?: boolean;
  /**
   * Set (to where it was looked for) when the answer carried no groups at all. Okta sends none
   * when its group filter matches none of the user's groups; a user's role comes from SCIM, so a
   * sign-in takes that as no groups, while a test login insists (see requireGroups).
   */
  groupsAbsent?: string;
}

/**
 * Names each required attribute may arrive under: our own names, the OIDC standard claims,
 * and the claim URIs Entra ID and ADFS put in SAML assertions.
 */
const ALIASES: Record<'email' | 'firstName' | 'lastName' | 'groups', string[]> = {
  email: ['email', 'mail', 'emailAddress', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3'],
  firstName: ['firstName', 'given_name', 'givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'urn:oid:2.5.4.42'],
  lastName: ['lastName', 'family_name', 'surname', 'sn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'urn:oid:2.5.4.4'],
  groups: ['groups', 'memberOf', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
};

function first(attrs: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) if (attrs[n] !== undefined && attrs[n] !== null && attrs[n] !== '') return attrs[n];
  return undefined;
}

export function missing(name: string, source: string): ApiError {
  return new ApiError(400, 'missing_attribute', `the ${source} has no ${name} attribute; map ${name} in the IdP's attribute statements`, name);
}

/** Extracts the required attributes (groups may be absent); a missing one is named in the error. */
export function requireProfile(subject: string, attrs: Record<string, unknown>, source: string): SsoProfile {
  const text = (key: keyof typeof ALIASES) => {
    const v = first(attrs, ALIASES[key]);
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s !== 'string' || !s.trim()) throw missing(key, source);
    return s.trim();
  };
  const email = text('email');
  const firstName = text('firstName');
  const lastName = text('lastName');
  const g = first(attrs, ALIASES.groups);
  const groups = g === undefined ? [] : (Array.isArray(g) ? g : [g]).map(String);
  return { subject, email: email.toLowerCase(), firstName, lastName, groups, ...(g === undefined ? { groupsAbsent: source } : {}) };
}

/**
 * A test login checks the IdP's attribute mapping as the runbook asks for it, groups included:
 * an admin who tests with a user the group filter matches must see the groups arrive.
 */
export function requireGroups(profile: SsoProfile): void {
  if (profile.groupsAbsent) throw missing('groups', profile.groupsAbsent);
}
