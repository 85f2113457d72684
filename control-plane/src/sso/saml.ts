import { randomBytes } from 'node:crypto';
import { SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { currentCertificates } from './certificate.js';
import { LOGIN_TTL_MS } from './login-state.js';
import { loginFailed } from './errors.js';
import { idpText } from './idp-text.js';
import { requireProfile, type SsoProfile } from './profile.js';

const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const FIELD = 'SAMLResponse';
const CLOCK_SKEW_MS = 60_000;

export interface SamlSettings {
  idp_sso_url: string;
  /** One PEM certificate or several (a key rollover): an assertion signed with any of them is accepted. */
  idp_certificate: string;
  idp_entity_id: string;
  acs_url: string;
  audience_uri: string;
}

function client(s: SamlSettings, cache: CacheProvider, onId?: (id: string) => void, idpCert: string[] = currentCertificates(s.idp_certificate)): SAML {
  return new SAML({
    entryPoint: s.idp_sso_url,
    issuer: s.audience_uri,
    callbackUrl: s.acs_url,
    audience: s.audience_uri,
    idpCert,
    idpIssuer: s.idp_entity_id,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: LOGIN_TTL_MS,
    cacheProvider: cache,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    // Asking for a specific authentication context makes some IdPs (Entra ID) refuse MFA logins.
    disableRequestedAuthnContext: true,
    generateUniqueId: () => {
      const id = `_${randomBytes(20).toString('hex')}`;
      onId?.(id);
      return id;
    },
  });
}

/** Builds the AuthnRequest (HTTP-Redirect binding); its ID is recorded for the InResponseTo check. */
export async function startSamlLogin(s: SamlSettings, cache: CacheProvider, relayState: string): Promise<{ url: string; requestId: string }> {
  let requestId = '';
  // The request is not signed, so which certificates are current does not matter yet.
  const url = await client(s, cache, (id) => (requestId ||= id), [s.idp_certificate]).getAuthorizeUrlAsync(relayState, undefined, {});
  return { url, requestId };
}

const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';

const lastPart = (uri: string | null | undefined) => (uri ?? '').split(':').pop() ?? '';

/**
 * The Status of an error Response (SAML Core 3.2.2.2): the top-level code, the second-level
 * one that says what went wrong (AuthnFailed, RequestDenied, NoPassive...) and the message.
 */
function statusOf(samlResponse: string): string {
  const doc = new DOMParser({ errorHandler: { error: () => {}, fatalError: () => {}, warning: () => {} } }).parseFromString(Buffer.from(samlResponse, 'base64').toString('utf8'), 'text/xml');
  const status = doc?.getElementsByTagNameNS(SAMLP_NS, 'Status')[0];
  if (!status) return '';
  const codes = Array.from(status.getElementsByTagNameNS(SAMLP_NS, 'StatusCode') as unknown as ArrayLike<Element>).map((c) => idpText(lastPart(c.getAttribute('Value')), 64));
  const message = idpText(status.getElementsByTagNameNS(SAMLP_NS, 'StatusMessage')[0]?.textContent);
  return [codes.filter(Boolean).slice(0, 2).join('/'), message].filter(Boolean).join(': ');
}

/** node-saml's reasons, as the codes the runbook and the portal use. */
function classify(err: unknown, samlResponse: string): { code: string; message: string } {
  if (err instanceof SamlStatusError) {
    const status = statusOf(samlResponse);
    return { code: 'idp_error', message: `the IdP answered with an error status instead of an assertion${status ? ` (${status})` : ''}` };
  }
  const m = err instanceof Error ? err.message : String(err);
  if (/signature/i.test(m)) return { code: 'invalid_signature', message: 'the SAML response is not signed by the configured idp_certificate' };
  if (/audience/i.test(m)) return { code: 'invalid_audience', message: 'the assertion is not addressed to this connection (its Audience is not audience_uri)' };
  if (/InResponseTo/i.test(m)) return { code: 'invalid_in_response_to', message: 'the response does not answer a live sign-in or test login started here (InResponseTo unknown, used or expired)' };
  if (/issuer/i.test(m)) return { code: 'invalid_issuer', message: 'the response was not issued by idp_entity_id' };
  if (/expired|not yet valid|too old|subject confirmation/i.test(m)) return { code: 'invalid_time_window', message: 'the assertion is outside its validity window' };
  return { code: 'invalid_saml_response', message: 'the SAML response could not be validated' };
}

/** What the ACS records of an accepted assertion so that it is redeemed once. */
export interface AcceptedAssertion {
  id: string;
  /** After this, node-saml would refuse the assertion anyway (its latest NotOnOrAfter plus the clock skew). */
  expiresAt: Date;
}

/**
 * Web Browser SSO profile (SAML 2.0 Profiles, 4.1.4.2 and 4.1.4.3): the bearer
 * SubjectConfirmationData must name this ACS as its Recipient and carry NotOnOrAfter. node-saml
 * checks neither, so they are checked here on the assertion node-saml has already verified the
 * signature of; the ID and the end of validity are what the ACS records against its reuse.
 */
function readAssertion(assertionXml: string, acsUrl: string): AcceptedAssertion {
  const doc = new DOMParser().parseFromString(assertionXml, 'text/xml');
  const confirmations = Array.from(doc.getElementsByTagNameNS(ASSERTION_NS, 'SubjectConfirmationData') as unknown as ArrayLike<Element>);
  if (confirmations.length === 0 || confirmations.some((c) => c.getAttribute('Recipient') !== acsUrl)) {
    throw loginFailed('invalid_recipient', 'the assertion is meant for another recipient (SubjectConfirmationData Recipient is not acs_url)', FIELD);
  }
  const ends = confirmations.map((c) => Date.parse(c.getAttribute('NotOnOrAfter') ?? ''));
  // Without it nothing bounds how long the assertion could be replayed, nor how long its use must be remembered.
  if (ends.some((t) => Number.isNaN(t))) {
    throw loginFailed('invalid_time_window', 'the assertion has no NotOnOrAfter on its SubjectConfirmationData (required for bearer assertions)', FIELD);
  }
  const conditions = doc.getElementsByTagNameNS(ASSERTION_NS, 'Conditions')[0];
  const conditionEnd = Date.parse(conditions?.getAttribute('NotOnOrAfter') ?? '');
  const latest = Math.max(...ends, ...(Number.isNaN(conditionEnd) ? [] : [conditionEnd]));
  const id = doc.documentElement?.getAttribute('ID') ?? '';
  if (!id) throw loginFailed('invalid_saml_response', 'the assertion has no ID', FIELD);
  return { id, expiresAt: new Date(latest + CLOCK_SKEW_MS) };
}

/** Validates the IdP's POSTed answer; returns the user it vouches for or throws a named failure. */
export async function finishSamlLogin(s: SamlSettings, cache: CacheProvider, samlResponse: string): Promise<{ profile: SsoProfile; requestId: string; assertion: AcceptedAssertion }> {
  // node-saml never looks at validity periods; a certificate past its end must stop vouching.
  const certs = currentCertificates(s.idp_certificate);
  if (!certs.length) throw loginFailed('invalid_signature', 'every idp_certificate of this connection has expired; configure the IdP\'s current signing certificate', FIELD);
  let profile: Profile | null;
  try {
    ({ profile } = await client(s, cache, undefined, certs).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    const c = classify(err, samlResponse);
    throw loginFailed(c.code, c.message, FIELD);
  }
  if (!profile) throw loginFailed('invalid_saml_response', 'the SAML response carries no assertion', FIELD);
  // verifyIssuer judges the (possibly unsigned) Response; the signed assertion must agree.
  if (profile.issuer !== s.idp_entity_id) throw loginFailed('invalid_issuer', 'the assertion was not issued by idp_entity_id', FIELD);
  const assertion = readAssertion(profile.getAssertionXml?.() ?? '', s.acs_url);
  const user = requireProfile(profile.nameID, (profile.attributes as Record<string, unknown> | undefined) ?? {}, 'SAML assertion');
  return { profile: user, requestId: String(profile.inResponseTo ?? ''), assertion };
}
