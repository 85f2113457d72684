// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * The Claresia provider. Without explicit arguments it reads `claresia:*` stack configuration and the CLARESIA_* environment variables.
 */
export class Provider extends pulumi.ProviderResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia';

  public static override isInstance(obj: unknown): obj is Provider {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === 'pulumi:providers:' + Provider.__pulumiType;
  }

  /**
   * Base URL of the Claresia control plane.
   */
  declare public readonly endpoint: pulumi.Output<string | undefined>;
  /**
   * An operator token, or a tenant JWT.
   */
  declare public readonly token: pulumi.Output<string | undefined>;
  /**
   * Client id of a tenant service account (with clientSecret, instead of token).
   */
  declare public readonly clientId: pulumi.Output<string | undefined>;
  /**
   * Client secret of the tenant service account.
   */
  declare public readonly clientSecret: pulumi.Output<string | undefined>;

  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const inputs: pulumi.Inputs = {};
    inputs['endpoint'] = args?.endpoint;
    inputs['token'] = args?.token !== undefined ? pulumi.secret(args.token) : undefined;
    inputs['clientId'] = args?.clientId;
    inputs['clientSecret'] = args?.clientSecret !== undefined ? pulumi.secret(args.clientSecret) : undefined;
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: ['token', 'clientSecret'] });
    super(Provider.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a Provider. */
export interface ProviderArgs {
  /**
   * Base URL of the Claresia control plane. Defaults to the CLARESIA_ENDPOINT environment variable.
   */
  endpoint?: pulumi.Input<string | undefined>;
  /**
   * An operator token, or a tenant JWT. Defaults to the CLARESIA_TOKEN environment variable.
   */
  token?: pulumi.Input<string | undefined>;
  /**
   * Client id of a tenant service account (with clientSecret, instead of token). Defaults to the CLARESIA_CLIENT_ID environment variable.
   */
  clientId?: pulumi.Input<string | undefined>;
  /**
   * Client secret of the tenant service account. Defaults to the CLARESIA_CLIENT_SECRET environment variable.
   */
  clientSecret?: pulumi.Input<string | undefined>;
}
