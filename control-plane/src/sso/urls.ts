/** Where the IdP sends its answer and which audience it must name, under the public base URL. */
export function spEndpoints(publicUrl: string, id: string, protocol: string): { acs_url: string; audience_uri: string } {
  const base = `${publicUrl.replace(/\/+$/, '')}/api/v1/identity/sso/connections/${id}`;
  return {
    acs_url: protocol === 'saml' ? `${base}/saml/acs` : `${base}/oidc/callback`,
    audience_uri: base,
  };
}
