// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * The set of skills one archetype is entitled to. Applying a Cowork pack fills these in; a set managed here replaces the pack default for that archetype and is kept when packs are applied again; deleting it hands the archetype back to the applied packs. Skills a pack blocks by policy are refused. An archetype whose set comes from the packs (source not "manual", for instance after the set was deleted outside Terraform) has no managed set: plan shows a create, and there is nothing to import.
 *
 * Import ID: `{archetype}` (the archetype (eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec)), for example `sales`.
 */
export class SkillEntitlement extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:SkillEntitlement';

  /** An existing SkillEntitlement, looked up by its id ({archetype}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: SkillEntitlementState, opts?: pulumi.CustomResourceOptions): SkillEntitlement {
    return new SkillEntitlement(name, state as SkillEntitlementArgs, { ...opts, id });
  }

  /** True when obj is a SkillEntitlement, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is SkillEntitlement {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === SkillEntitlement.__pulumiType;
  }

  /**
   * The archetype: eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec. Changing it replaces the resource.
   */
  declare public readonly archetype: pulumi.Output<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec">;
  /**
   * Skill ids (see the claresia_skill_catalog data source); stored sorted and without duplicates.
   */
  declare public readonly skills: pulumi.Output<string[]>;
  /**
   * "manual" for a set managed directly, otherwise the Cowork pack(s) it came from, comma-separated.
   */
  declare public readonly source: pulumi.Output<string | undefined>;

  constructor(name: string, args: SkillEntitlementArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: SkillEntitlementArgs | SkillEntitlementState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as SkillEntitlementState | undefined;
      inputs['archetype'] = state?.archetype;
      inputs['skills'] = state?.skills;
      inputs['source'] = state?.source;
    } else {
      const args = argsOrState as SkillEntitlementArgs | undefined;
      if (args?.archetype === undefined && !opts.urn) throw new Error("Missing required property 'archetype'");
      if (args?.skills === undefined && !opts.urn) throw new Error("Missing required property 'skills'");
      inputs['archetype'] = args?.archetype;
      inputs['skills'] = args?.skills;
      inputs['source'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(SkillEntitlement.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a SkillEntitlement. */
export interface SkillEntitlementArgs {
  /**
   * The archetype: eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec. Changing it replaces the resource.
   */
  archetype: pulumi.Input<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec">;
  /**
   * Skill ids (see the claresia_skill_catalog data source); stored sorted and without duplicates.
   */
  skills: pulumi.Input<pulumi.Input<string>[]>;
}

/** What `SkillEntitlement.get` may be given to narrow a lookup. */
export interface SkillEntitlementState {
  /**
   * The archetype: eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec. Changing it replaces the resource.
   */
  archetype?: pulumi.Input<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec">;
  /**
   * Skill ids (see the claresia_skill_catalog data source); stored sorted and without duplicates.
   */
  skills?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * "manual" for a set managed directly, otherwise the Cowork pack(s) it came from, comma-separated.
   */
  source?: pulumi.Input<string>;
}
