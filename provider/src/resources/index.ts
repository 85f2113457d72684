import { llmConnectorQuirks } from './llm_connector.js';

/**
 * Per-resource departures from the generic path. Most resources have none; a resource that
 * needs one gets provider/src/resources/<name>.ts and an entry here.
 */
export interface ResourceQuirks {
  /** Reshapes a read answer that does not carry the resource's attributes at the top level. */
  fromReadResponse?(body: unknown): Record<string, unknown> | undefined;
  /**
   * A failure reason without the API's advice on retrying the object (a connector's "to test it
   * again, send its credential again"), for an object deleted after its create failed.
   */
  reasonWithoutRetry?(reason: string): string;
  /** State upgrades: from version N to N+1, over the stored JSON. */
  upgrades?: Record<number, (state: Record<string, unknown>) => Record<string, unknown>>;
}

const quirks: Record<string, ResourceQuirks> = { llm_connector: llmConnectorQuirks };

export function quirksFor(name: string): ResourceQuirks {
  return quirks[name] ?? {};
}
