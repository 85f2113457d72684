// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { invokeOptsDefaults } from '../options.js';

/**
 * The seven Command Center checks (identity, distribution, hub, roster, skills, telemetry, audit), each green or red with the reason and what to do, the overall verdict, and onboarding progress through the ten runbook steps derived from the same facts.
 */
export function getTenantHealth(opts?: pulumi.InvokeOptions): Promise<GetTenantHealthResult> {
  return pulumi.runtime.invoke('claresia:index:getTenantHealth', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/**
 * The seven Command Center checks (identity, distribution, hub, roster, skills, telemetry, audit), each green or red with the reason and what to do, the overall verdict, and onboarding progress through the ten runbook steps derived from the same facts.
 *
 * The same as getTenantHealth, as an Output: it waits for its arguments and keeps their secrecy and dependencies.
 */
export function getTenantHealthOutput(opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetTenantHealthResult> {
  return pulumi.runtime.invokeOutput('claresia:index:getTenantHealth', {}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));
}

/** What getTenantHealth returns. */
export interface GetTenantHealthResult {
  /**
   * green when every check is green.
   */
  readonly overall?: "green" | "red";
  /**
   * The checks, always in the same order.
   */
  readonly checks?: { name?: string; status?: "green" | "red"; reason?: string; action?: string }[];
  /**
   * Onboarding progress, derived from the same facts as the checks.
   */
  readonly onboarding?: { completed?: number; steps?: { step?: number; name?: string; done?: boolean }[] };
  /**
   * When the facts were read.
   */
  readonly checkedAt?: string;
}
