// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * An applied Cowork pack: it gives each archetype it covers the pack's default skill set, minus the skills blocked by policy. Applying, changing or removing a pack recomputes the entitlements it produced; sets managed as claresia_skill_entitlement are left alone.
 *
 * Import ID: `{pack}` (the pack name, as the claresia_skill_catalog data source lists packs), for example `go-to-market`.
 */
export class Cowork extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:Cowork';

  /** An existing Cowork, looked up by its id ({pack}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: CoworkState, opts?: pulumi.CustomResourceOptions): Cowork {
    return new Cowork(name, state as CoworkArgs, { ...opts, id });
  }

  /** True when obj is a Cowork, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Cowork {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === Cowork.__pulumiType;
  }

  /**
   * The pack name (see the claresia_skill_catalog data source), e.g. starter, go-to-market, builders, back-office, enterprise. Changing it replaces the resource.
   */
  declare public readonly pack: pulumi.Output<string>;
  /**
   * Skill ids blocked by policy: never granted by this pack, and refused in any archetype set while the pack is applied. Defaults to [].
   */
  declare public readonly blockedSkills: pulumi.Output<string[]>;
  /**
   * When the pack was last applied (RFC 3339).
   */
  declare public readonly appliedAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: CoworkArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: CoworkArgs | CoworkState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as CoworkState | undefined;
      inputs['pack'] = state?.pack;
      inputs['blockedSkills'] = state?.blockedSkills;
      inputs['appliedAt'] = state?.appliedAt;
    } else {
      const args = argsOrState as CoworkArgs | undefined;
      if (args?.pack === undefined && !opts.urn) throw new Error("Missing required property 'pack'");
      inputs['pack'] = args?.pack;
      inputs['blockedSkills'] = args?.blockedSkills;
      inputs['appliedAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(Cowork.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a Cowork. */
export interface CoworkArgs {
  /**
   * The pack name (see the claresia_skill_catalog data source), e.g. starter, go-to-market, builders, back-office, enterprise. Changing it replaces the resource.
   */
  pack: pulumi.Input<string>;
  /**
   * Skill ids blocked by policy: never granted by this pack, and refused in any archetype set while the pack is applied. Defaults to [].
   */
  blockedSkills?: pulumi.Input<pulumi.Input<string>[]>;
}

/** What `Cowork.get` may be given to narrow a lookup. */
export interface CoworkState {
  /**
   * The pack name (see the claresia_skill_catalog data source), e.g. starter, go-to-market, builders, back-office, enterprise. Changing it replaces the resource.
   */
  pack?: pulumi.Input<string>;
  /**
   * Skill ids blocked by policy: never granted by this pack, and refused in any archetype set while the pack is applied. Defaults to [].
   */
  blockedSkills?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * When the pack was last applied (RFC 3339).
   */
  appliedAt?: pulumi.Input<string>;
}
