// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { invokeOptsDefaults } from '../options.js';

/**
 * Waits until a Hub is ready and returns it: polls the Hub until its status is ready, fails with the reason when it is failed or still provisioning after timeout_seconds. Use it with a claresia_hub created with wait_for_ready = false, after what makes the Hub ready (in Mode C, the endpoint's trust store taking control_plane_client_certificate): give it depends_on on that, so Terraform reads it during apply, once that exists. Once the Hub is ready, a read answers at once.
 */
export function getHubReady(args: GetHubReadyArgs, opts?: pulumi.InvokeOptions): Promise<GetHubReadyResult> {
  return pulumi.runtime.invoke('claresia:index:getHubReady', {
    id: args.id,
    timeoutSeconds: args.timeoutSeconds,
  }, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/**
 * Waits until a Hub is ready and returns it: polls the Hub until its status is ready, fails with the reason when it is failed or still provisioning after timeout_seconds. Use it with a claresia_hub created with wait_for_ready = false, after what makes the Hub ready (in Mode C, the endpoint's trust store taking control_plane_client_certificate): give it depends_on on that, so Terraform reads it during apply, once that exists. Once the Hub is ready, a read answers at once.
 *
 * The same as getHubReady, as an Output: it waits for its arguments and keeps their secrecy and dependencies.
 */
export function getHubReadyOutput(args: GetHubReadyOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetHubReadyResult> {
  return pulumi.runtime.invokeOutput('claresia:index:getHubReady', {
    id: args.id,
    timeoutSeconds: args.timeoutSeconds,
  }, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/** The arguments of getHubReady. */
export interface GetHubReadyArgs {
  /**
   * The Hub's id (claresia_hub's id).
   */
  id: string;
  /**
   * How long to wait for the Hub to be ready, in seconds. Defaults to 1200.
   */
  timeoutSeconds?: number;
}

/** The arguments of getHubReadyOutput. */
export interface GetHubReadyOutputArgs {
  /**
   * The Hub's id (claresia_hub's id).
   */
  id: pulumi.Input<string>;
  /**
   * How long to wait for the Hub to be ready, in seconds. Defaults to 1200.
   */
  timeoutSeconds?: pulumi.Input<number>;
}

/** What getHubReady returns. */
export interface GetHubReadyResult {
  /**
   * The Hub's id (claresia_hub's id).
   */
  readonly id: string;
  /**
   * How long to wait for the Hub to be ready, in seconds. Defaults to 1200.
   */
  readonly timeoutSeconds?: number;
  /**
   * ready (the read fails otherwise).
   */
  readonly status?: string;
  /**
   * When the link was last proven and the Hub became ready (RFC 3339).
   */
  readonly readyAt?: string;
  /**
   * Id of the Hub key that co-signs governance events once the Hub is ready.
   */
  readonly hubKeyId?: string;
  /**
   * Where the Hub is reached: the customer's mTLS endpoint in Mode C, the control plane's Hub API in Modes A and B.
   */
  readonly endpoint?: string;
  /**
   * Mode C: SHA-256 fingerprint of the client certificate (colon-separated hex, as openssl prints it).
   */
  readonly controlPlaneClientCertificateSha256?: string;
  /**
   * Mode C: when the client certificate expires (RFC 3339); monitor it.
   */
  readonly controlPlaneClientCertificateNotAfter?: string;
  /**
   * Mode C: SHA-256 fingerprint of each customer CA certificate (colon-separated hex; comma-separated for a bundle).
   */
  readonly customerCaCertificateSha256?: string;
}
