// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * An enterprise customer of Claresia. Created by an operator; its first service account credentials are returned once, at creation.
 *
 * Import ID: `{id}` (the tenant's id (tnt_...), not its slug), for example `tnt_3f9a1c2e7b5d4a60`.
 */
export class Tenant extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:Tenant';

  /** An existing Tenant, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: TenantState, opts?: pulumi.CustomResourceOptions): Tenant {
    return new Tenant(name, state as TenantArgs, { ...opts, id });
  }

  /** True when obj is a Tenant, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Tenant {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === Tenant.__pulumiType;
  }

  /**
   * Short unique name: lowercase letters, digits and hyphens, 3 to 63 characters. Changing it replaces the resource.
   */
  declare public readonly slug: pulumi.Output<string>;
  /**
   * Name shown in the portal.
   */
  declare public readonly displayName: pulumi.Output<string>;
  /**
   * Data residency region; fixed for the life of the tenant. Changing it replaces the resource.
   */
  declare public readonly region: pulumi.Output<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1">;
  /**
   * Hub deployment mode: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mTLS). Changing it replaces the resource.
   */
  declare public readonly deploymentMode: pulumi.Output<"A" | "B" | "C">;
  /**
   * Email address that receives invoices.
   */
  declare public readonly billingContact: pulumi.Output<string>;
  /**
   * Support plan. Defaults to "standard".
   */
  declare public readonly supportTier: pulumi.Output<"standard" | "premium" | "enterprise">;
  /**
   * onboarding until the first skill invocation, then live; offboarded once deleted.
   */
  declare public readonly status: pulumi.Output<string | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;
  /**
   * Client id of the tenant's first service account.
   */
  declare public readonly clientId: pulumi.Output<string | undefined>;
  /**
   * Client secret of the tenant's first service account; returned only at creation. Terraform and Pulumi never rotate it, and cannot tell when it was rotated outside them (POST /api/v1/tenants/{id}/client-secret:rotate, or the service account's own secret:rotate): the tenant's API answer has no rotation time, so state keeps the old secret, with no diff and no warning. It signs in until that rotation's overlap ends (secret_overlap_seconds, 24 h by default; at once with 0) and is refused from then on, also where the configuration passes it on (a provider block for the tenant's objects). After such a rotation, pass those the secret it returned, from where you keep it (a variable, a secret store), instead of this attribute. Replacing the tenant is no way to a new one: deleting it offboards the tenant.
   */
  declare public readonly clientSecret: pulumi.Output<string | undefined>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: TenantArgs | TenantState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as TenantState | undefined;
      inputs['slug'] = state?.slug;
      inputs['displayName'] = state?.displayName;
      inputs['region'] = state?.region;
      inputs['deploymentMode'] = state?.deploymentMode;
      inputs['billingContact'] = state?.billingContact;
      inputs['supportTier'] = state?.supportTier;
      inputs['status'] = state?.status;
      inputs['createdAt'] = state?.createdAt;
      inputs['clientId'] = state?.clientId;
      inputs['clientSecret'] = state?.clientSecret;
    } else {
      const args = argsOrState as TenantArgs | undefined;
      if (args?.slug === undefined && !opts.urn) throw new Error("Missing required property 'slug'");
      if (args?.displayName === undefined && !opts.urn) throw new Error("Missing required property 'displayName'");
      if (args?.region === undefined && !opts.urn) throw new Error("Missing required property 'region'");
      if (args?.deploymentMode === undefined && !opts.urn) throw new Error("Missing required property 'deploymentMode'");
      if (args?.billingContact === undefined && !opts.urn) throw new Error("Missing required property 'billingContact'");
      inputs['slug'] = args?.slug;
      inputs['displayName'] = args?.displayName;
      inputs['region'] = args?.region;
      inputs['deploymentMode'] = args?.deploymentMode;
      inputs['billingContact'] = args?.billingContact;
      inputs['supportTier'] = args?.supportTier;
      inputs['status'] = undefined;
      inputs['createdAt'] = undefined;
      inputs['clientId'] = undefined;
      inputs['clientSecret'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: ['clientSecret'] });
    super(Tenant.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a Tenant. */
export interface TenantArgs {
  /**
   * Short unique name: lowercase letters, digits and hyphens, 3 to 63 characters. Changing it replaces the resource.
   */
  slug: pulumi.Input<string>;
  /**
   * Name shown in the portal.
   */
  displayName: pulumi.Input<string>;
  /**
   * Data residency region; fixed for the life of the tenant. Changing it replaces the resource.
   */
  region: pulumi.Input<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1">;
  /**
   * Hub deployment mode: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mTLS). Changing it replaces the resource.
   */
  deploymentMode: pulumi.Input<"A" | "B" | "C">;
  /**
   * Email address that receives invoices.
   */
  billingContact: pulumi.Input<string>;
  /**
   * Support plan. Defaults to "standard".
   */
  supportTier?: pulumi.Input<"standard" | "premium" | "enterprise">;
}

/** What `Tenant.get` may be given to narrow a lookup. */
export interface TenantState {
  /**
   * Short unique name: lowercase letters, digits and hyphens, 3 to 63 characters. Changing it replaces the resource.
   */
  slug?: pulumi.Input<string>;
  /**
   * Name shown in the portal.
   */
  displayName?: pulumi.Input<string>;
  /**
   * Data residency region; fixed for the life of the tenant. Changing it replaces the resource.
   */
  region?: pulumi.Input<"us-east-1" | "us-west-2" | "eu-west-1" | "eu-central-1" | "ap-southeast-2" | "ap-northeast-1">;
  /**
   * Hub deployment mode: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mTLS). Changing it replaces the resource.
   */
  deploymentMode?: pulumi.Input<"A" | "B" | "C">;
  /**
   * Email address that receives invoices.
   */
  billingContact?: pulumi.Input<string>;
  /**
   * Support plan. Defaults to "standard".
   */
  supportTier?: pulumi.Input<"standard" | "premium" | "enterprise">;
  /**
   * onboarding until the first skill invocation, then live; offboarded once deleted.
   */
  status?: pulumi.Input<string>;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
  /**
   * Client id of the tenant's first service account.
   */
  clientId?: pulumi.Input<string>;
  /**
   * Client secret of the tenant's first service account; returned only at creation. Terraform and Pulumi never rotate it, and cannot tell when it was rotated outside them (POST /api/v1/tenants/{id}/client-secret:rotate, or the service account's own secret:rotate): the tenant's API answer has no rotation time, so state keeps the old secret, with no diff and no warning. It signs in until that rotation's overlap ends (secret_overlap_seconds, 24 h by default; at once with 0) and is refused from then on, also where the configuration passes it on (a provider block for the tenant's objects). After such a rotation, pass those the secret it returned, from where you keep it (a variable, a secret store), instead of this attribute. Replacing the tenant is no way to a new one: deleting it offboards the tenant.
   */
  clientSecret?: pulumi.Input<string>;
}
