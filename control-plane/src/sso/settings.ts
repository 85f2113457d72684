import { badRequest } from '../http/errors.js';
import { guardedFetch, OutboundError, type FetchPolicy } from '../net/guarded-fetch.js';
import { checkOutboundTarget } from '../net/outbound-target.js';
import { CertificateError, checkSigningCertificates, usableMetadataCertificates } from './certificate.js';
import { outboundProblem } from './errors.js';
import { MetadataError, parseIdpMetadata } from './metadata.js';
import { discover } from './oidc.js';

/** The IdP settings of a connection as stored (the secret as plaintext until it is sealed). */
export interface IdpSettings {
  metadata_url: string | null;
  metadata_xml: string | null;
  idp_sso_url: string | null;
  idp_certificate: string | null;
  idp_entity_id: string | null;
  discovery_url: string | null;
  client_id: string | null;
  client_secret: string | null;
}

export const SAML_FIELDS = ['metadata_url', 'metadata_xml', 'idp_sso_url', 'idp_certificate', 'idp_entity_id'] as const;
export const OIDC_FIELDS = ['discovery_url', 'client_id', 'client_secret'] as const;

const METADATA_LIMIT = 512 * 1024;

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** The certificates checked (see certificate.ts), a problem reported against `field`. */
function certificates(check: () => string, field: string): string {
  try {
    return check();
  } catch (err) {
    if (err instanceof CertificateError) throw badRequest(`${field} ${err.message}`, field, err.code);
    throw err;
  }
}

function metadata(xml: string, field: string) {
  try {
    return parseIdpMetadata(xml);
  } catch (err) {
    if (err instanceof MetadataError) throw badRequest(`${field}: the IdP metadata ${err.message}`, field, 'invalid_metadata');
    throw err;
  }
}

/**
 * A URL of the IdP. One the control plane fetches (metadata_url) has its host name resolved too,
 * so a name for a private address is refused when it is stored; one only browsers follow (the
 * SSO URL) is judged without DNS (its literal address, localhost): an on-premises IdP's public
 * name may well resolve to a private address, and the control plane never connects to it.
 */
async function browserUrl(url: string, field: string, policy: FetchPolicy, fetched = false): Promise<void> {
  try {
    await checkOutboundTarget(url, policy, { lookup: fetched });
  } catch (err) {
    if (err instanceof OutboundError) throw badRequest(`${field} ${err.message}`, field, 'url_not_allowed');
    throw err;
  }
}

async function fetchMetadata(url: string, policy: FetchPolicy): Promise<string> {
  let res: Response;
  try {
    res = await guardedFetch(url, { headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } }, { ...policy, maxBytes: METADATA_LIMIT });
  } catch (err) {
    throw outboundProblem(err, 'metadata_url', 'IdP metadata');
  }
  if (!res.ok) throw badRequest(`metadata_url answered HTTP ${res.status}`, 'metadata_url', 'fetch_failed');
  return res.text();
}

/**
 * Turns what the caller sent (merged over what is stored, for an update) into complete,
 * checked IdP settings: fetches and reads SAML metadata, or checks the OIDC discovery
 * document and the client's settings. Throws a 400 naming the field before anything is written.
 * Which fields each protocol needs or refuses is the catalog's rules, checked before this
 * (the router for a create, the update handler against the stored connection): `merged` obeys them.
 */
export async function resolveSettings(protocol: string, merged: IdpSettings, policy: FetchPolicy): Promise<IdpSettings> {
  const out: IdpSettings = { metadata_url: null, metadata_xml: null, idp_sso_url: null, idp_certificate: null, idp_entity_id: null, discovery_url: null, client_id: null, client_secret: null };

  if (protocol === 'oidc') {
    Object.assign(out, { discovery_url: merged.discovery_url, client_id: merged.client_id, client_secret: merged.client_secret });
    await discover({ discovery_url: out.discovery_url!, client_id: out.client_id!, client_secret: out.client_secret! }, policy);
    return out;
  }

  const source = (['metadata_url', 'metadata_xml'] as const).find((f) => given(merged[f]));
  if (source) {
    if (source === 'metadata_url') await browserUrl(merged.metadata_url!, 'metadata_url', policy, true);
    const xml = source === 'metadata_url' ? await fetchMetadata(merged.metadata_url!, policy) : merged.metadata_xml!;
    const md = metadata(xml, source);
    await browserUrl(md.ssoUrl, source, policy);
    out[source] = merged[source];
    out.idp_sso_url = md.ssoUrl;
    out.idp_certificate = certificates(() => usableMetadataCertificates(md.certificatePems), source);
    out.idp_entity_id = md.entityId;
    return out;
  }

  await browserUrl(merged.idp_sso_url!, 'idp_sso_url', policy);
  out.idp_sso_url = merged.idp_sso_url;
  out.idp_certificate = certificates(() => checkSigningCertificates(merged.idp_certificate!), 'idp_certificate');
  out.idp_entity_id = merged.idp_entity_id;
  return out;
}
