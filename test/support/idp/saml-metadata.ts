/**
 * SAML metadata of an Okta-like IdP, numbered so that successive documents differ in entity
 * id and sign-on URL: what a user pastes into metadata_xml / metadataXml and later rotates.
 */
export function idpMetadata(n: number, certPem: string): string {
  const der = certPem.replace(/-----[A-Z ]+-----|\s/g, '');
  return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk${n}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://acme.okta.example/app/${n}/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
}
