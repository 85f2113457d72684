// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * The tenant's governance Hub, one per tenant. Mode A is hosted by Claresia; Mode B is dedicated and encrypts the tenant's credentials under a customer-managed key (CMEK) created for it; Mode C is the customer's own endpoint (BYOC), reached over mutual TLS. Provisioning finishes in the background: poll status until ready or failed. Once ready, the Hub's key co-signs every governance event of the tenant. In Mode C, changing customer_ca_certificate or mtls_endpoint_url keeps the Hub, its key and its client certificate: status goes back to provisioning while the control plane proves the link again with the same certificate, then to ready (or failed with the reason).
 *
 * Import ID: `{id}` (the Hub's id (hub_...)), for example `hub_0c4f7a92d1e8b635`.
 */
export class Hub extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:Hub';

  /** An existing Hub, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: HubState, opts?: pulumi.CustomResourceOptions): Hub {
    return new Hub(name, state as HubArgs, { ...opts, id });
  }

  /** True when obj is a Hub, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Hub {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === Hub.__pulumiType;
  }

  /**
   * Deployment mode; must equal the tenant's deployment_mode. Changing it replaces the resource.
   */
  declare public readonly mode: pulumi.Output<"A" | "B" | "C">;
  /**
   * Region the Hub runs in; in Modes A and C it defaults to the tenant's region. Required when mode is "B". Changing it replaces the resource.
   */
  declare public readonly region: pulumi.Output<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1" | undefined>;
  /**
   * The customer's Hub endpoint in Mode C, which demands a client certificate (https). Changing it keeps the Hub and its client certificate; the link is proven again at the new address. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  declare public readonly mtlsEndpointUrl: pulumi.Output<string | undefined>;
  /**
   * Mode C: PEM of the CA (or CA bundle, up to 10) that issued the endpoint's server certificate; each must be a CA certificate valid now. To rotate the CA, first add the new CA next to the old one: the Hub and its client certificate stay, and the link is proven again. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  declare public readonly customerCaCertificate: pulumi.Output<string | undefined>;
  /**
   * Mode B: id of the customer-managed key created for the Hub.
   */
  declare public readonly cmekKeyId: pulumi.Output<string | undefined>;
  /**
   * Mode C: PEM of the control plane's client certificate; the customer's endpoint must trust it.
   */
  declare public readonly controlPlaneClientCertificate: pulumi.Output<string | undefined>;
  /**
   * Mode C: SHA-256 fingerprint of the client certificate (colon-separated hex, as openssl prints it).
   */
  declare public readonly controlPlaneClientCertificateSha256: pulumi.Output<string | undefined>;
  /**
   * Mode C: when the client certificate expires (RFC 3339); monitor it.
   */
  declare public readonly controlPlaneClientCertificateNotAfter: pulumi.Output<string | undefined>;
  /**
   * Mode C: SHA-256 fingerprint of each customer CA certificate (colon-separated hex; comma-separated for a bundle).
   */
  declare public readonly customerCaCertificateSha256: pulumi.Output<string | undefined>;
  /**
   * Where the Hub is reached: the customer's mTLS endpoint in Mode C, the control plane's Hub API in Modes A and B.
   */
  declare public readonly endpoint: pulumi.Output<string | undefined>;
  /**
   * provisioning, then ready or failed.
   */
  declare public readonly status: pulumi.Output<string | undefined>;
  /**
   * What provisioning is waiting for, or why it failed.
   */
  declare public readonly statusReason: pulumi.Output<string | undefined>;
  /**
   * Id of the Hub key that co-signs governance events once the Hub is ready.
   */
  declare public readonly hubKeyId: pulumi.Output<string | undefined>;
  /**
   * The tenant the Hub belongs to.
   */
  declare public readonly tenantId: pulumi.Output<string | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;
  /**
   * When the link was last proven and the Hub became ready (RFC 3339).
   */
  declare public readonly readyAt: pulumi.Output<string | undefined>;
  /**
   * Mode C: when the control plane last checked the mTLS link of the ready Hub (RFC 3339). It checks it again every CLARESIA_HUB_LINK_CHECK_SECONDS (5 minutes by default); a failed check leaves status ready and sets link_error.
   */
  declare public readonly linkCheckedAt: pulumi.Output<string | undefined>;
  /**
   * Mode C: when a check of the mTLS link last passed (RFC 3339).
   */
  declare public readonly linkVerifiedAt: pulumi.Output<string | undefined>;
  /**
   * Mode C: why the latest check of the ready Hub's mTLS link failed (the endpoint unreachable, its server certificate not trusted under customer_ca_certificate, control_plane_client_certificate refused); null while the link passes. The tenant health's hub check is red meanwhile.
   */
  declare public readonly linkError: pulumi.Output<string | undefined>;

  constructor(name: string, args: HubArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: HubArgs | HubState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as HubState | undefined;
      inputs['mode'] = state?.mode;
      inputs['region'] = state?.region;
      inputs['mtlsEndpointUrl'] = state?.mtlsEndpointUrl;
      inputs['customerCaCertificate'] = state?.customerCaCertificate;
      inputs['cmekKeyId'] = state?.cmekKeyId;
      inputs['controlPlaneClientCertificate'] = state?.controlPlaneClientCertificate;
      inputs['controlPlaneClientCertificateSha256'] = state?.controlPlaneClientCertificateSha256;
      inputs['controlPlaneClientCertificateNotAfter'] = state?.controlPlaneClientCertificateNotAfter;
      inputs['customerCaCertificateSha256'] = state?.customerCaCertificateSha256;
      inputs['endpoint'] = state?.endpoint;
      inputs['status'] = state?.status;
      inputs['statusReason'] = state?.statusReason;
      inputs['hubKeyId'] = state?.hubKeyId;
      inputs['tenantId'] = state?.tenantId;
      inputs['createdAt'] = state?.createdAt;
      inputs['readyAt'] = state?.readyAt;
      inputs['linkCheckedAt'] = state?.linkCheckedAt;
      inputs['linkVerifiedAt'] = state?.linkVerifiedAt;
      inputs['linkError'] = state?.linkError;
    } else {
      const args = argsOrState as HubArgs | undefined;
      if (args?.mode === undefined && !opts.urn) throw new Error("Missing required property 'mode'");
      inputs['mode'] = args?.mode;
      inputs['region'] = args?.region;
      inputs['mtlsEndpointUrl'] = args?.mtlsEndpointUrl;
      inputs['customerCaCertificate'] = args?.customerCaCertificate;
      inputs['waitForReady'] = args?.waitForReady;
      inputs['cmekKeyId'] = undefined;
      inputs['controlPlaneClientCertificate'] = undefined;
      inputs['controlPlaneClientCertificateSha256'] = undefined;
      inputs['controlPlaneClientCertificateNotAfter'] = undefined;
      inputs['customerCaCertificateSha256'] = undefined;
      inputs['endpoint'] = undefined;
      inputs['status'] = undefined;
      inputs['statusReason'] = undefined;
      inputs['hubKeyId'] = undefined;
      inputs['tenantId'] = undefined;
      inputs['createdAt'] = undefined;
      inputs['readyAt'] = undefined;
      inputs['linkCheckedAt'] = undefined;
      inputs['linkVerifiedAt'] = undefined;
      inputs['linkError'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(Hub.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a Hub. */
export interface HubArgs {
  /**
   * Deployment mode; must equal the tenant's deployment_mode. Changing it replaces the resource.
   */
  mode: pulumi.Input<"A" | "B" | "C">;
  /**
   * Region the Hub runs in; in Modes A and C it defaults to the tenant's region. Required when mode is "B". Changing it replaces the resource.
   */
  region?: pulumi.Input<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1">;
  /**
   * The customer's Hub endpoint in Mode C, which demands a client certificate (https). Changing it keeps the Hub and its client certificate; the link is proven again at the new address. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  mtlsEndpointUrl?: pulumi.Input<string>;
  /**
   * Mode C: PEM of the CA (or CA bundle, up to 10) that issued the endpoint's server certificate; each must be a CA certificate valid now. To rotate the CA, first add the new CA next to the old one: the Hub and its client certificate stay, and the link is proven again. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  customerCaCertificate?: pulumi.Input<string>;
  /**
   * Whether create and update wait until status is ready (the default). In Mode C the wait goes on while the endpoint does not trust control_plane_client_certificate yet (status_reason "waiting: the endpoint must trust control_plane_client_certificate", "waiting: the endpoint refused the control plane's client certificate ..."), so it can be installed meanwhile; it ends at the first poll whose status_reason says the endpoint cannot be reached at all ("waiting: mtls_endpoint_url does not resolve", "waiting: the endpoint could not be reached (ECONNREFUSED)", also EHOSTUNREACH, ENETUNREACH, ETIMEDOUT), with a warning at mtls_endpoint_url quoting it: the Hub stays in state, untainted, with status provisioning, and the control plane keeps trying (for CLARESIA_HUB_LINK_DEADLINE_SECONDS, a day by default, then status failed), so it turns ready by itself once the endpoint is fixed (a refresh or claresia_hub_ready shows it). Set false in Mode C when the endpoint's trust store is managed in the same configuration: create then returns as soon as the control plane has issued control_plane_client_certificate (status provisioning), so the certificate can be installed downstream, and the Hub turns ready by itself once the endpoint trusts it. Never sent to the API; changing it changes nothing in place. Defaults to true.
   */
  waitForReady?: pulumi.Input<boolean>;
}

/** What `Hub.get` may be given to narrow a lookup. */
export interface HubState {
  /**
   * Deployment mode; must equal the tenant's deployment_mode. Changing it replaces the resource.
   */
  mode?: pulumi.Input<"A" | "B" | "C">;
  /**
   * Region the Hub runs in; in Modes A and C it defaults to the tenant's region. Required when mode is "B". Changing it replaces the resource.
   */
  region?: pulumi.Input<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1">;
  /**
   * The customer's Hub endpoint in Mode C, which demands a client certificate (https). Changing it keeps the Hub and its client certificate; the link is proven again at the new address. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  mtlsEndpointUrl?: pulumi.Input<string>;
  /**
   * Mode C: PEM of the CA (or CA bundle, up to 10) that issued the endpoint's server certificate; each must be a CA certificate valid now. To rotate the CA, first add the new CA next to the old one: the Hub and its client certificate stay, and the link is proven again. Required when mode is "C". Not allowed when mode is "A" or "B".
   */
  customerCaCertificate?: pulumi.Input<string>;
  /**
   * Mode B: id of the customer-managed key created for the Hub.
   */
  cmekKeyId?: pulumi.Input<string>;
  /**
   * Mode C: PEM of the control plane's client certificate; the customer's endpoint must trust it.
   */
  controlPlaneClientCertificate?: pulumi.Input<string>;
  /**
   * Mode C: SHA-256 fingerprint of the client certificate (colon-separated hex, as openssl prints it).
   */
  controlPlaneClientCertificateSha256?: pulumi.Input<string>;
  /**
   * Mode C: when the client certificate expires (RFC 3339); monitor it.
   */
  controlPlaneClientCertificateNotAfter?: pulumi.Input<string>;
  /**
   * Mode C: SHA-256 fingerprint of each customer CA certificate (colon-separated hex; comma-separated for a bundle).
   */
  customerCaCertificateSha256?: pulumi.Input<string>;
  /**
   * Where the Hub is reached: the customer's mTLS endpoint in Mode C, the control plane's Hub API in Modes A and B.
   */
  endpoint?: pulumi.Input<string>;
  /**
   * provisioning, then ready or failed.
   */
  status?: pulumi.Input<string>;
  /**
   * What provisioning is waiting for, or why it failed.
   */
  statusReason?: pulumi.Input<string>;
  /**
   * Id of the Hub key that co-signs governance events once the Hub is ready.
   */
  hubKeyId?: pulumi.Input<string>;
  /**
   * The tenant the Hub belongs to.
   */
  tenantId?: pulumi.Input<string>;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
  /**
   * When the link was last proven and the Hub became ready (RFC 3339).
   */
  readyAt?: pulumi.Input<string>;
  /**
   * Mode C: when the control plane last checked the mTLS link of the ready Hub (RFC 3339). It checks it again every CLARESIA_HUB_LINK_CHECK_SECONDS (5 minutes by default); a failed check leaves status ready and sets link_error.
   */
  linkCheckedAt?: pulumi.Input<string>;
  /**
   * Mode C: when a check of the mTLS link last passed (RFC 3339).
   */
  linkVerifiedAt?: pulumi.Input<string>;
  /**
   * Mode C: why the latest check of the ready Hub's mTLS link failed (the endpoint unreachable, its server certificate not trusted under customer_ca_certificate, control_plane_client_certificate refused); null while the link passes. The tenant health's hub check is red meanwhile.
   */
  linkError?: pulumi.Input<string>;
}
