import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { selfSigned, type KeyAndCert } from './certificates.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

export interface SamlUser {
  nameId: string;
  attributes: Record<string, string | string[]>;
}

/** Ways to make the next response wrong, one check at a time. */
export interface ResponseTweaks {
  /** Sign with a key the connection does not know. */
  signWithOtherKey?: boolean;
  audience?: string;
  recipient?: string;
  issuer?: string;
  inResponseTo?: string;
  /** Name the request on the Response only, not on the assertion's SubjectConfirmationData. */
  omitSubjectInResponseTo?: boolean;
  /** Validity window relative to now, in ms. */
  notBeforeMs?: number;
  notOnOrAfterMs?: number;
  omitAttributes?: string[];
  /** Change the signed content after signing. */
  tamper?: boolean;
  /** Wrap this already signed assertion (a captured one) in the new Response instead of signing a new one. */
  replayAssertion?: string;
  /** Leave NotOnOrAfter out of SubjectConfirmationData. */
  omitSubjectNotOnOrAfter?: boolean;
}

export interface AuthnRequestSeen {
  id: string;
  acsUrl: string;
  issuer: string;
}

export interface SamlIdp {
  url: string;
  entityId: string;
  ssoUrl: string;
  metadataUrl: string;
  metadataXml(): string;
  signing: KeyAndCert;
  other: KeyAndCert;
  user: SamlUser;
  /** Applied to the next response only. */
  tweaks: ResponseTweaks;
  lastRequest?: AuthnRequestSeen;
  /** The signed assertion of the last response, as it was sent. */
  lastAssertion?: string;
  /** Signing keys the metadata lists before / after the one the IdP signs with (a rollover). */
  extraMetadataKeys: { before: KeyAndCert[]; after: KeyAndCert[] };
  /** Signs with this key instead of `signing` (the IdP moved to its next key). */
  signWith?: KeyAndCert;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function parseAuthnRequest(encoded: string): AuthnRequestSeen {
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const req = doc.getElementsByTagNameNS(SAMLP, 'AuthnRequest')[0];
  if (!req) throw new Error('not an AuthnRequest');
  const issuer = req.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]?.textContent ?? '';
  return { id: req.getAttribute('ID') ?? '', acsUrl: req.getAttribute('AssertionConsumerServiceURL') ?? '', issuer };
}

/**
 * A SAML 2.0 identity provider on loopback for tests: it serves metadata, reads the
 * AuthnRequest the control plane sends (HTTP-Redirect binding) and answers with a Response
 * whose assertion is really signed (XML-DSig, RSA-SHA256 via xml-crypto), posted back through
 * an HTML form as a browser would.
 */
export async function startSamlIdp(): Promise<SamlIdp> {
  const signing = await selfSigned('Test IdP');
  const other = await selfSigned('Someone Else');
  let base = '';
  const idp: SamlIdp = {
    url: '',
    entityId: '',
    ssoUrl: '',
    metadataUrl: '',
    signing,
    other,
    user: {
      nameId: 'ada@acme.example',
      attributes: { email: 'Ada@Acme.example', firstName: 'Ada', lastName: 'Lovelace', groups: ['claresia-admins', 'engineering'] },
    },
    tweaks: {},
    extraMetadataKeys: { before: [], after: [] },
    metadataXml: () => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(idp.entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
${[...idp.extraMetadataKeys.before, signing, ...idp.extraMetadataKeys.after]
  .map((k) => `    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${k.certificateB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
  .join('\n')}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(idp.ssoUrl)}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(idp.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };

  function buildResponse(req: AuthnRequestSeen, t: ResponseTweaks): string {
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const issuer = esc(t.issuer ?? idp.entityId);
    const inResponseTo = esc(t.inResponseTo ?? req.id);
    const recipient = esc(t.recipient ?? req.acsUrl);
    const audience = esc(t.audience ?? req.issuer);
    const notBefore = iso(t.notBeforeMs ?? -60_000);
    const notOnOrAfter = iso(t.notOnOrAfterMs ?? 5 * 60_000);
    const attrs = Object.entries(idp.user.attributes)
      .filter(([k]) => !(t.omitAttributes ?? []).includes(k))
      .map(
        ([k, v]) =>
          `<saml:Attribute Name="${esc(k)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${(Array.isArray(v) ? v : [v])
            .map((x) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(x)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const assertionId = `_a${randomBytes(16).toString('hex')}`;
    const assertion =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${iso(0)}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(idp.user.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${t.omitSubjectInResponseTo ? '' : ` InResponseTo="${inResponseTo}"`}${t.omitSubjectNotOnOrAfter ? '' : ` NotOnOrAfter="${notOnOrAfter}"`} Recipient="${recipient}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` +
      `</saml:Assertion>`;
    const key = t.signWithOtherKey ? other : (idp.signWith ?? signing);
    const sig = new SignedXml({
      privateKey: key.privateKeyPem,
      publicCert: key.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({
      xpath: `//*[local-name(.)='Assertion']`,
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    sig.computeSignature(assertion, { location: { reference: `//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']`, action: 'after' } });
    let signed = sig.getSignedXml();
    if (t.tamper) signed = signed.replace('claresia-admins', 'claresia-superusers');
    if (t.replayAssertion) signed = t.replayAssertion;
    idp.lastAssertion = signed;
    return (
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${iso(0)}" Destination="${recipient}" InResponseTo="${inResponseTo}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      signed +
      `</samlp:Response>`
    );
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', base);
    if (u.pathname === '/metadata') {
      res.setHeader('content-type', 'application/samlmetadata+xml');
      return void res.end(idp.metadataXml());
    }
    if (u.pathname === '/sso') {
      try {
        const seen = parseAuthnRequest(u.searchParams.get('SAMLRequest') ?? '');
        idp.lastRequest = seen;
        const tweaks = idp.tweaks;
        idp.tweaks = {};
        const response = Buffer.from(buildResponse(seen, tweaks)).toString('base64');
        const relay = u.searchParams.get('RelayState') ?? '';
        res.setHeader('content-type', 'text/html');
        return void res.end(
          `<html><body onload="document.forms[0].submit()"><form method="post" action="${esc(seen.acsUrl)}">` +
            `<input type="hidden" name="SAMLResponse" value="${response}"/><input type="hidden" name="RelayState" value="${esc(relay)}"/></form></body></html>`,
        );
      } catch (err) {
        res.writeHead(400).end(String(err));
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp.url = base;
  idp.entityId = `${base}/entity`;
  idp.ssoUrl = `${base}/sso`;
  idp.metadataUrl = `${base}/metadata`;
  return idp;
}

/** What a browser does with the IdP's auto-submitting form: POST its fields to its action. */
export function readAutoPostForm(html: string): { action: string; fields: Record<string, string> } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const form = doc.getElementsByTagName('form')[0];
  if (!form) throw new Error('the IdP page has no form');
  const fields: Record<string, string> = {};
  const inputs = doc.getElementsByTagName('input');
  for (let i = 0; i < inputs.length; i++) fields[inputs[i]!.getAttribute('name') ?? ''] = inputs[i]!.getAttribute('value') ?? '';
  return { action: form.getAttribute('action') ?? '', fields };
}
