// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * A roster sync from the tenant's SCIM directories (runbook step 8): creating it runs `POST /api/v1/roster/scim:sync`, which brings every SCIM user into the roster classified by archetype and reports what the IdPs wrote since the previous sync. The sync runs once; change `triggers` to run another (the resource is replaced). Destroying it forgets the record and leaves the roster as it is.
 *
 * Import ID: `{id}` (the roster sync's id (ssync_...)), for example `ssync_4f1c2b7a9e0d3c5b`.
 */
export class RosterSync extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:RosterSync';

  /** An existing RosterSync, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: RosterSyncState, opts?: pulumi.CustomResourceOptions): RosterSync {
    return new RosterSync(name, state as RosterSyncArgs, { ...opts, id });
  }

  /** True when obj is a RosterSync, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is RosterSync {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === RosterSync.__pulumiType;
  }

  /**
   * Arbitrary values; a change runs a new sync. Keys and values are kept as given (at most 50 entries, 500 characters each). Changing it replaces the resource.
   */
  declare public readonly triggers: pulumi.Output<{ [key: string]: string } | undefined>;
  /**
   * When the sync ran (RFC 3339).
   */
  declare public readonly completedAt: pulumi.Output<string | undefined>;
  /**
   * When the sync before it ran, or null for the first one.
   */
  declare public readonly previousSyncAt: pulumi.Output<string | undefined>;
  /**
   * Users the IdPs created since the previous sync.
   */
  declare public readonly usersCreated: pulumi.Output<number | undefined>;
  /**
   * Users the IdPs updated since the previous sync.
   */
  declare public readonly usersUpdated: pulumi.Output<number | undefined>;
  /**
   * Users de-provisioned (active=false or DELETE) since the previous sync.
   */
  declare public readonly usersDeprovisioned: pulumi.Output<number | undefined>;
  /**
   * Users reactivated since the previous sync.
   */
  declare public readonly usersReactivated: pulumi.Output<number | undefined>;
  /**
   * Groups created, updated or deleted since the previous sync.
   */
  declare public readonly groupsChanged: pulumi.Output<number | undefined>;
  /**
   * SCIM requests of the IdPs that failed since the previous sync; the API report lists them with status and body.
   */
  declare public readonly errors: pulumi.Output<number | undefined>;
  /**
   * SCIM users brought into the roster by this sync.
   */
  declare public readonly rosterMembers: pulumi.Output<number | undefined>;
  /**
   * Of those, active members the classifier could not map to an archetype (fix with an override).
   */
  declare public readonly rosterUnmatched: pulumi.Output<number | undefined>;

  constructor(name: string, args: RosterSyncArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: RosterSyncArgs | RosterSyncState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as RosterSyncState | undefined;
      inputs['triggers'] = state?.triggers;
      inputs['completedAt'] = state?.completedAt;
      inputs['previousSyncAt'] = state?.previousSyncAt;
      inputs['usersCreated'] = state?.usersCreated;
      inputs['usersUpdated'] = state?.usersUpdated;
      inputs['usersDeprovisioned'] = state?.usersDeprovisioned;
      inputs['usersReactivated'] = state?.usersReactivated;
      inputs['groupsChanged'] = state?.groupsChanged;
      inputs['errors'] = state?.errors;
      inputs['rosterMembers'] = state?.rosterMembers;
      inputs['rosterUnmatched'] = state?.rosterUnmatched;
    } else {
      const args = argsOrState as RosterSyncArgs | undefined;
      inputs['triggers'] = args?.triggers;
      inputs['completedAt'] = undefined;
      inputs['previousSyncAt'] = undefined;
      inputs['usersCreated'] = undefined;
      inputs['usersUpdated'] = undefined;
      inputs['usersDeprovisioned'] = undefined;
      inputs['usersReactivated'] = undefined;
      inputs['groupsChanged'] = undefined;
      inputs['errors'] = undefined;
      inputs['rosterMembers'] = undefined;
      inputs['rosterUnmatched'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(RosterSync.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a RosterSync. */
export interface RosterSyncArgs {
  /**
   * Arbitrary values; a change runs a new sync. Keys and values are kept as given (at most 50 entries, 500 characters each). Changing it replaces the resource.
   */
  triggers?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/** What `RosterSync.get` may be given to narrow a lookup. */
export interface RosterSyncState {
  /**
   * Arbitrary values; a change runs a new sync. Keys and values are kept as given (at most 50 entries, 500 characters each). Changing it replaces the resource.
   */
  triggers?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * When the sync ran (RFC 3339).
   */
  completedAt?: pulumi.Input<string>;
  /**
   * When the sync before it ran, or null for the first one.
   */
  previousSyncAt?: pulumi.Input<string>;
  /**
   * Users the IdPs created since the previous sync.
   */
  usersCreated?: pulumi.Input<number>;
  /**
   * Users the IdPs updated since the previous sync.
   */
  usersUpdated?: pulumi.Input<number>;
  /**
   * Users de-provisioned (active=false or DELETE) since the previous sync.
   */
  usersDeprovisioned?: pulumi.Input<number>;
  /**
   * Users reactivated since the previous sync.
   */
  usersReactivated?: pulumi.Input<number>;
  /**
   * Groups created, updated or deleted since the previous sync.
   */
  groupsChanged?: pulumi.Input<number>;
  /**
   * SCIM requests of the IdPs that failed since the previous sync; the API report lists them with status and body.
   */
  errors?: pulumi.Input<number>;
  /**
   * SCIM users brought into the roster by this sync.
   */
  rosterMembers?: pulumi.Input<number>;
  /**
   * Of those, active members the classifier could not map to an archetype (fix with an override).
   */
  rosterUnmatched?: pulumi.Input<number>;
}
