// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { invokeOptsDefaults } from '../options.js';

/**
 * The archetypes, how many roster members the classifier (cc-061) or an override put in each, and each one's entitled skills.
 */
export function getArchetypes(opts?: pulumi.InvokeOptions): Promise<GetArchetypesResult> {
  return pulumi.runtime.invoke('claresia:index:getArchetypes', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/**
 * The archetypes, how many roster members the classifier (cc-061) or an override put in each, and each one's entitled skills.
 *
 * The same as getArchetypes, as an Output: it waits for its arguments and keeps their secrecy and dependencies.
 */
export function getArchetypesOutput(opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetArchetypesResult> {
  return pulumi.runtime.invokeOutput('claresia:index:getArchetypes', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/** What getArchetypes returns. */
export interface GetArchetypesResult {
  /**
   * The classifier that assigns archetypes (cc-061).
   */
  readonly classifier?: string;
  /**
   * Confidence below which a member is left unmatched.
   */
  readonly threshold?: number;
  /**
   * One entry per archetype.
   */
  readonly archetypes?: { name?: string; label?: string; members?: number; skills?: string[] }[];
}
