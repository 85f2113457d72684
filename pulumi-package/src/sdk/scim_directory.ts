// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * A SCIM 2.0 directory (runbook step 5): the endpoint an IdP (Okta, Entra ID, Google Workspace, OneLogin, JumpCloud, Keycloak) provisions users and groups into. Returns the endpoint URL and a bearer token shown once (at creation and at POST .../{id}/token:rotate); the token is stored hashed. An optional IP allowlist of CIDRs restricts which addresses may call the endpoint.
 *
 * Import ID: `{id}` (the SCIM directory's id (scim_...), as in its endpoint URL), for example `scim_7c1e4a9b2d3f5e60`.
 */
export class ScimDirectory extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:ScimDirectory';

  /** An existing ScimDirectory, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: ScimDirectoryState, opts?: pulumi.CustomResourceOptions): ScimDirectory {
    return new ScimDirectory(name, state as ScimDirectoryArgs, { ...opts, id });
  }

  /** True when obj is a ScimDirectory, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is ScimDirectory {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === ScimDirectory.__pulumiType;
  }

  /**
   * The same value as id, under the name the onboarding runbook uses (its scripts read directory_id from the configure answer).
   */
  declare public readonly directoryId: pulumi.Output<string | undefined>;
  /**
   * The identity provider that provisions into this directory; recorded as the actor `<idp>:scim`. Changing it replaces the resource.
   */
  declare public readonly idp: pulumi.Output<"okta" | "entra" | "google" | "onelogin" | "jumpcloud" | "keycloak">;
  /**
   * CIDRs (IPv4 or IPv6, host bits zero, e.g. 203.0.113.0/24) allowed to call the SCIM endpoint; empty allows any address. Defaults to [].
   */
  declare public readonly ipAllowlist: pulumi.Output<string[]>;
  /**
   * The SCIM 2.0 base URL to give the IdP.
   */
  declare public readonly endpointUrl: pulumi.Output<string | undefined>;
  /**
   * The bearer token the IdP authenticates with; returned at creation and rotation only, stored hashed. Terraform and Pulumi never rotate it. A rotation outside them (POST /api/v1/identity/scim/directories/{id}/token:rotate) shows the new token to its caller only: the next refresh sees token_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of keeping a dead token (one replaced with token_overlap_seconds works until previous_token_expires_at). The working token is the one that rotation returned; Terraform or Pulumi hold a token again only by creating the directory again (replace), which gives a new endpoint_url and de-provisions every user the old directory provisioned.
   */
  declare public readonly bearerToken: pulumi.Output<string | undefined>;
  /**
   * When the current token was issued.
   */
  declare public readonly tokenRotatedAt: pulumi.Output<string | undefined>;
  /**
   * While the token replaced by the last rotation still works beside the current one (POST .../{id}/token:rotate with token_overlap_seconds above 0), when it stops (RFC 3339); null otherwise.
   */
  declare public readonly previousTokenExpiresAt: pulumi.Output<string | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: ScimDirectoryArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: ScimDirectoryArgs | ScimDirectoryState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as ScimDirectoryState | undefined;
      inputs['directoryId'] = state?.directoryId;
      inputs['idp'] = state?.idp;
      inputs['ipAllowlist'] = state?.ipAllowlist;
      inputs['endpointUrl'] = state?.endpointUrl;
      inputs['bearerToken'] = state?.bearerToken;
      inputs['tokenRotatedAt'] = state?.tokenRotatedAt;
      inputs['previousTokenExpiresAt'] = state?.previousTokenExpiresAt;
      inputs['createdAt'] = state?.createdAt;
    } else {
      const args = argsOrState as ScimDirectoryArgs | undefined;
      if (args?.idp === undefined && !opts.urn) throw new Error("Missing required property 'idp'");
      inputs['idp'] = args?.idp;
      inputs['ipAllowlist'] = args?.ipAllowlist;
      inputs['directoryId'] = undefined;
      inputs['endpointUrl'] = undefined;
      inputs['bearerToken'] = undefined;
      inputs['tokenRotatedAt'] = undefined;
      inputs['previousTokenExpiresAt'] = undefined;
      inputs['createdAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: ['bearerToken'] });
    super(ScimDirectory.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a ScimDirectory. */
export interface ScimDirectoryArgs {
  /**
   * The identity provider that provisions into this directory; recorded as the actor `<idp>:scim`. Changing it replaces the resource.
   */
  idp: pulumi.Input<"okta" | "entra" | "google" | "onelogin" | "jumpcloud" | "keycloak">;
  /**
   * CIDRs (IPv4 or IPv6, host bits zero, e.g. 203.0.113.0/24) allowed to call the SCIM endpoint; empty allows any address. Defaults to [].
   */
  ipAllowlist?: pulumi.Input<pulumi.Input<string>[]>;
}

/** What `ScimDirectory.get` may be given to narrow a lookup. */
export interface ScimDirectoryState {
  /**
   * The same value as id, under the name the onboarding runbook uses (its scripts read directory_id from the configure answer).
   */
  directoryId?: pulumi.Input<string>;
  /**
   * The identity provider that provisions into this directory; recorded as the actor `<idp>:scim`. Changing it replaces the resource.
   */
  idp?: pulumi.Input<"okta" | "entra" | "google" | "onelogin" | "jumpcloud" | "keycloak">;
  /**
   * CIDRs (IPv4 or IPv6, host bits zero, e.g. 203.0.113.0/24) allowed to call the SCIM endpoint; empty allows any address. Defaults to [].
   */
  ipAllowlist?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The SCIM 2.0 base URL to give the IdP.
   */
  endpointUrl?: pulumi.Input<string>;
  /**
   * The bearer token the IdP authenticates with; returned at creation and rotation only, stored hashed. Terraform and Pulumi never rotate it. A rotation outside them (POST /api/v1/identity/scim/directories/{id}/token:rotate) shows the new token to its caller only: the next refresh sees token_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of keeping a dead token (one replaced with token_overlap_seconds works until previous_token_expires_at). The working token is the one that rotation returned; Terraform or Pulumi hold a token again only by creating the directory again (replace), which gives a new endpoint_url and de-provisions every user the old directory provisioned.
   */
  bearerToken?: pulumi.Input<string>;
  /**
   * When the current token was issued.
   */
  tokenRotatedAt?: pulumi.Input<string>;
  /**
   * While the token replaced by the last rotation still works beside the current one (POST .../{id}/token:rotate with token_overlap_seconds above 0), when it stops (RFC 3339); null otherwise.
   */
  previousTokenExpiresAt?: pulumi.Input<string>;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
}
