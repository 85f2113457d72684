// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * Maps an IdP group provisioned over SCIM (its name starts with `claresia-`) to a Claresia role (tenant_admin, auditor or member), optionally with an archetype grant: members of the group receive that archetype's skills on top of their roster archetype. A user's role is the highest role of their groups, read on every API call. Every tenant starts with claresia-admins → tenant_admin, claresia-auditors → auditor, claresia-users → member and claresia-eng-pilot → member with the eng grant; they can be changed or deleted like any mapping. To manage one of them (or any mapping made outside Terraform or Pulumi), import it by its id (GET /api/v1/identity/group-mappings lists them): a create for a group that is mapped already is refused, naming the existing mapping, and the error gives the import block (Terraform) or the `import` resource option (Pulumi) to adopt it instead. Once a tenant's directory has any `claresia-*` group, a user in none of the mapped groups has no access (sessions revoked, no skills published); a tenant without `claresia-*` groups keeps roster-based access (every active user is a member). A group that the IdP has not pushed yet may be mapped.
 *
 * Import ID: `{id}` (the mapping's id (gm_..., listed by GET /api/v1/identity/group-mappings), not the group name), for example `gm_3f9a0c1d7e2b4a58`.
 */
export class GroupMapping extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:GroupMapping';

  /** An existing GroupMapping, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: GroupMappingState, opts?: pulumi.CustomResourceOptions): GroupMapping {
    return new GroupMapping(name, state as GroupMappingArgs, { ...opts, id });
  }

  /** True when obj is a GroupMapping, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is GroupMapping {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === GroupMapping.__pulumiType;
  }

  /**
   * The IdP group name (SCIM displayName), starting with `claresia-`; compared case-insensitively and stored lowercased. One mapping per group.
   */
  declare public readonly group: pulumi.Output<string>;
  /**
   * tenant_admin (everything in the tenant), auditor (reads and governance events) or member (only their own data).
   */
  declare public readonly role: pulumi.Output<"tenant_admin" | "auditor" | "member">;
  /**
   * An archetype whose skills the group's members receive in addition to their roster archetype's.
   */
  declare public readonly archetype: pulumi.Output<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec" | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;
  /**
   * Last change (RFC 3339).
   */
  declare public readonly updatedAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: GroupMappingArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: GroupMappingArgs | GroupMappingState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as GroupMappingState | undefined;
      inputs['group'] = state?.group;
      inputs['role'] = state?.role;
      inputs['archetype'] = state?.archetype;
      inputs['createdAt'] = state?.createdAt;
      inputs['updatedAt'] = state?.updatedAt;
    } else {
      const args = argsOrState as GroupMappingArgs | undefined;
      if (args?.group === undefined && !opts.urn) throw new Error("Missing required property 'group'");
      if (args?.role === undefined && !opts.urn) throw new Error("Missing required property 'role'");
      inputs['group'] = args?.group;
      inputs['role'] = args?.role;
      inputs['archetype'] = args?.archetype;
      inputs['createdAt'] = undefined;
      inputs['updatedAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(GroupMapping.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a GroupMapping. */
export interface GroupMappingArgs {
  /**
   * The IdP group name (SCIM displayName), starting with `claresia-`; compared case-insensitively and stored lowercased. One mapping per group.
   */
  group: pulumi.Input<string>;
  /**
   * tenant_admin (everything in the tenant), auditor (reads and governance events) or member (only their own data).
   */
  role: pulumi.Input<"tenant_admin" | "auditor" | "member">;
  /**
   * An archetype whose skills the group's members receive in addition to their roster archetype's.
   */
  archetype?: pulumi.Input<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec">;
}

/** What `GroupMapping.get` may be given to narrow a lookup. */
export interface GroupMappingState {
  /**
   * The IdP group name (SCIM displayName), starting with `claresia-`; compared case-insensitively and stored lowercased. One mapping per group.
   */
  group?: pulumi.Input<string>;
  /**
   * tenant_admin (everything in the tenant), auditor (reads and governance events) or member (only their own data).
   */
  role?: pulumi.Input<"tenant_admin" | "auditor" | "member">;
  /**
   * An archetype whose skills the group's members receive in addition to their roster archetype's.
   */
  archetype?: pulumi.Input<"eng" | "data" | "product" | "design" | "sales" | "marketing" | "support" | "finance" | "legal" | "hr" | "ops" | "exec">;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
  /**
   * Last change (RFC 3339).
   */
  updatedAt?: pulumi.Input<string>;
}
