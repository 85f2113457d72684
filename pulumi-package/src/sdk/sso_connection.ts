// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * Single sign-on for the tenant (runbook step 4): SAML 2.0 from a metadata URL, uploaded metadata XML, or an IdP SSO URL plus X.509 certificate and entity ID; or OpenID Connect from a discovery URL plus client id and secret. Returns the ACS URL (SAML) or redirect URI (OIDC) and the SP entity ID to register at the IdP. Status turns green after a successful test login (POST .../{id}/test).
 *
 * Import ID: `{id}` (the SSO connection's id (sso_...), not its name), for example `sso_5e1f0a2b3c4d5e6f`.
 */
export class SsoConnection extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:SsoConnection';

  /** An existing SsoConnection, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: SsoConnectionState, opts?: pulumi.CustomResourceOptions): SsoConnection {
    return new SsoConnection(name, state as SsoConnectionArgs, { ...opts, id });
  }

  /** True when obj is a SsoConnection, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is SsoConnection {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === SsoConnection.__pulumiType;
  }

  /**
   * Name shown in the portal.
   */
  declare public readonly name: pulumi.Output<string>;
  /**
   * saml or oidc. Changing it replaces the resource.
   */
  declare public readonly protocol: pulumi.Output<"saml" | "oidc">;
  /**
   * SAML: https URL of the IdP metadata; fetched when the connection is created or changed. Not allowed when protocol is "oidc". Conflicts with metadata_xml.
   */
  declare public readonly metadataUrl: pulumi.Output<string | undefined>;
  /**
   * SAML: the IdP metadata document itself. Not allowed when protocol is "oidc". Conflicts with metadata_url.
   */
  declare public readonly metadataXml: pulumi.Output<string | undefined>;
  /**
   * SAML: the IdP single sign-on URL (HTTP-Redirect binding). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  declare public readonly idpSsoUrl: pulumi.Output<string | undefined>;
  /**
   * SAML: the PEM X.509 certificate the IdP signs assertions with, or up to 4 of them one after the other while the IdP rolls its key over (an assertion signed with any of them is accepted). Each must be within its validity period. Read from the metadata when one is given: every signing certificate it lists that is currently valid. Adding a certificate to a green connection keeps it green; any other change of IdP settings sets it untested until the next test login and revokes the user sessions it issued. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  declare public readonly idpCertificate: pulumi.Output<string | undefined>;
  /**
   * SAML: the IdP entity ID (the expected Issuer). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  declare public readonly idpEntityId: pulumi.Output<string | undefined>;
  /**
   * OIDC: https URL of the issuer or its /.well-known/openid-configuration document. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  declare public readonly discoveryUrl: pulumi.Output<string | undefined>;
  /**
   * OIDC: client id registered at the IdP. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  declare public readonly clientId: pulumi.Output<string | undefined>;
  /**
   * SAML Assertion Consumer Service URL, or the OIDC redirect URI, to register at the IdP.
   */
  declare public readonly acsUrl: pulumi.Output<string | undefined>;
  /**
   * SP entity ID (audience URI) to register at the IdP.
   */
  declare public readonly audienceUri: pulumi.Output<string | undefined>;
  /**
   * untested until a test login succeeds, then green; a change of IdP settings makes it untested again.
   */
  declare public readonly status: pulumi.Output<string | undefined>;
  /**
   * Time of the last successful test login.
   */
  declare public readonly lastTestedAt: pulumi.Output<string | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: SsoConnectionArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: SsoConnectionArgs | SsoConnectionState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as SsoConnectionState | undefined;
      inputs['name'] = state?.name;
      inputs['protocol'] = state?.protocol;
      inputs['metadataUrl'] = state?.metadataUrl;
      inputs['metadataXml'] = state?.metadataXml;
      inputs['idpSsoUrl'] = state?.idpSsoUrl;
      inputs['idpCertificate'] = state?.idpCertificate;
      inputs['idpEntityId'] = state?.idpEntityId;
      inputs['discoveryUrl'] = state?.discoveryUrl;
      inputs['clientId'] = state?.clientId;
      inputs['acsUrl'] = state?.acsUrl;
      inputs['audienceUri'] = state?.audienceUri;
      inputs['status'] = state?.status;
      inputs['lastTestedAt'] = state?.lastTestedAt;
      inputs['createdAt'] = state?.createdAt;
    } else {
      const args = argsOrState as SsoConnectionArgs | undefined;
      if (args?.name === undefined && !opts.urn) throw new Error("Missing required property 'name'");
      if (args?.protocol === undefined && !opts.urn) throw new Error("Missing required property 'protocol'");
      inputs['name'] = args?.name;
      inputs['protocol'] = args?.protocol;
      inputs['metadataUrl'] = args?.metadataUrl;
      inputs['metadataXml'] = args?.metadataXml;
      inputs['idpSsoUrl'] = args?.idpSsoUrl;
      inputs['idpCertificate'] = args?.idpCertificate;
      inputs['idpEntityId'] = args?.idpEntityId;
      inputs['discoveryUrl'] = args?.discoveryUrl;
      inputs['clientId'] = args?.clientId;
      inputs['clientSecret'] = args?.clientSecret !== undefined ? pulumi.secret(args.clientSecret) : undefined;
      inputs['acsUrl'] = undefined;
      inputs['audienceUri'] = undefined;
      inputs['status'] = undefined;
      inputs['lastTestedAt'] = undefined;
      inputs['createdAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(SsoConnection.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a SsoConnection. */
export interface SsoConnectionArgs {
  /**
   * Name shown in the portal.
   */
  name: pulumi.Input<string>;
  /**
   * saml or oidc. Changing it replaces the resource.
   */
  protocol: pulumi.Input<"saml" | "oidc">;
  /**
   * SAML: https URL of the IdP metadata; fetched when the connection is created or changed. Not allowed when protocol is "oidc". Conflicts with metadata_xml.
   */
  metadataUrl?: pulumi.Input<string>;
  /**
   * SAML: the IdP metadata document itself. Not allowed when protocol is "oidc". Conflicts with metadata_url.
   */
  metadataXml?: pulumi.Input<string>;
  /**
   * SAML: the IdP single sign-on URL (HTTP-Redirect binding). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpSsoUrl?: pulumi.Input<string>;
  /**
   * SAML: the PEM X.509 certificate the IdP signs assertions with, or up to 4 of them one after the other while the IdP rolls its key over (an assertion signed with any of them is accepted). Each must be within its validity period. Read from the metadata when one is given: every signing certificate it lists that is currently valid. Adding a certificate to a green connection keeps it green; any other change of IdP settings sets it untested until the next test login and revokes the user sessions it issued. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpCertificate?: pulumi.Input<string>;
  /**
   * SAML: the IdP entity ID (the expected Issuer). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpEntityId?: pulumi.Input<string>;
  /**
   * OIDC: https URL of the issuer or its /.well-known/openid-configuration document. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  discoveryUrl?: pulumi.Input<string>;
  /**
   * OIDC: client id registered at the IdP. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  clientId?: pulumi.Input<string>;
  /**
   * OIDC: client secret; stored encrypted, never returned. Not allowed when protocol is "saml". Required when protocol is "oidc". Write-only: sent to the API, never read back.
   */
  clientSecret?: pulumi.Input<string>;
}

/** What `SsoConnection.get` may be given to narrow a lookup. */
export interface SsoConnectionState {
  /**
   * Name shown in the portal.
   */
  name?: pulumi.Input<string>;
  /**
   * saml or oidc. Changing it replaces the resource.
   */
  protocol?: pulumi.Input<"saml" | "oidc">;
  /**
   * SAML: https URL of the IdP metadata; fetched when the connection is created or changed. Not allowed when protocol is "oidc". Conflicts with metadata_xml.
   */
  metadataUrl?: pulumi.Input<string>;
  /**
   * SAML: the IdP metadata document itself. Not allowed when protocol is "oidc". Conflicts with metadata_url.
   */
  metadataXml?: pulumi.Input<string>;
  /**
   * SAML: the IdP single sign-on URL (HTTP-Redirect binding). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpSsoUrl?: pulumi.Input<string>;
  /**
   * SAML: the PEM X.509 certificate the IdP signs assertions with, or up to 4 of them one after the other while the IdP rolls its key over (an assertion signed with any of them is accepted). Each must be within its validity period. Read from the metadata when one is given: every signing certificate it lists that is currently valid. Adding a certificate to a green connection keeps it green; any other change of IdP settings sets it untested until the next test login and revokes the user sessions it issued. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpCertificate?: pulumi.Input<string>;
  /**
   * SAML: the IdP entity ID (the expected Issuer). Read from the metadata when one is given. Not allowed when protocol is "oidc". Conflicts with metadata_url, metadata_xml. Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.
   */
  idpEntityId?: pulumi.Input<string>;
  /**
   * OIDC: https URL of the issuer or its /.well-known/openid-configuration document. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  discoveryUrl?: pulumi.Input<string>;
  /**
   * OIDC: client id registered at the IdP. Not allowed when protocol is "saml". Required when protocol is "oidc".
   */
  clientId?: pulumi.Input<string>;
  /**
   * SAML Assertion Consumer Service URL, or the OIDC redirect URI, to register at the IdP.
   */
  acsUrl?: pulumi.Input<string>;
  /**
   * SP entity ID (audience URI) to register at the IdP.
   */
  audienceUri?: pulumi.Input<string>;
  /**
   * untested until a test login succeeds, then green; a change of IdP settings makes it untested again.
   */
  status?: pulumi.Input<string>;
  /**
   * Time of the last successful test login.
   */
  lastTestedAt?: pulumi.Input<string>;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
}
