import { DOMParser } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  /** Every signing certificate listed (KeyDescriptor use="signing" or without use), in order. */
  certificatePems: string[];
}

/** The metadata is unusable; the message says what is missing, never echoes the document. */
export class MetadataError extends Error {}

function children(parent: Element, ns: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, name) as unknown as ArrayLike<Element>);
}

/** Base64 DER from metadata (whitespace anywhere) as a PEM certificate, 64 characters a line. */
export function derBase64ToPem(b64: string): string {
  const clean = b64.replace(/\s+/g, '');
  const lines = clean.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

/**
 * Reads what a service provider needs from IdP metadata (SAML 2.0 Metadata, section 2.4.3):
 * the entity ID, the HTTP-Redirect SingleSignOnService location and the signing certificates.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  // Entity declarations are how XML bombs and external-entity reads start; metadata never needs one.
  if (/<!DOCTYPE/i.test(xml)) throw new MetadataError('must not contain a DOCTYPE');
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m), warning: () => {} },
  }).parseFromString(xml, 'text/xml');
  const root = doc?.documentElement;
  if (errors.length || !root) throw new MetadataError('is not well-formed XML');
  const entity = root.localName === 'EntityDescriptor' && root.namespaceURI === MD ? root : children(root, MD, 'EntityDescriptor')[0];
  if (!entity) throw new MetadataError('has no md:EntityDescriptor');
  const entityId = entity.getAttribute('entityID');
  if (!entityId) throw new MetadataError('EntityDescriptor has no entityID');
  const idp = children(entity, MD, 'IDPSSODescriptor')[0];
  if (!idp) throw new MetadataError('has no md:IDPSSODescriptor (is this SP metadata?)');
  const sso = children(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT);
  const ssoUrl = sso?.getAttribute('Location');
  if (!ssoUrl) throw new MetadataError('has no SingleSignOnService with the HTTP-Redirect binding');
  const signing = children(idp, MD, 'KeyDescriptor').filter((k) => {
    const use = k.getAttribute('use');
    return !use || use === 'signing';
  });
  // During a key rollover the IdP lists its current and its next key, in no particular order.
  const certTexts = signing.flatMap((k) => children(k, DS, 'X509Certificate').map((c) => c.textContent?.trim() ?? '')).filter(Boolean);
  if (!certTexts.length) throw new MetadataError('has no signing certificate (KeyDescriptor/ds:X509Certificate)');
  return { entityId, ssoUrl, certificatePems: [...new Set(certTexts.map(derBase64ToPem))] };
}
