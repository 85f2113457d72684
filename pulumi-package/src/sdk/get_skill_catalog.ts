// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { invokeOptsDefaults } from '../options.js';

/**
 * Every skill Claresia can distribute and the Cowork packs that bundle them, with the default set each pack gives each archetype.
 */
export function getSkillCatalog(opts?: pulumi.InvokeOptions): Promise<GetSkillCatalogResult> {
  return pulumi.runtime.invoke('claresia:index:getSkillCatalog', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/**
 * Every skill Claresia can distribute and the Cowork packs that bundle them, with the default set each pack gives each archetype.
 *
 * The same as getSkillCatalog, as an Output: it waits for its arguments and keeps their secrecy and dependencies.
 */
export function getSkillCatalogOutput(opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetSkillCatalogResult> {
  return pulumi.runtime.invokeOutput('claresia:index:getSkillCatalog', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/** What getSkillCatalog returns. */
export interface GetSkillCatalogResult {
  /**
   * The skills.
   */
  readonly skills?: { id?: string; name?: string; suite?: string; description?: string }[];
  /**
   * The Cowork packs.
   */
  readonly packs?: { name?: string; description?: string; grants?: { [key: string]: string[] } }[];
}
