import type { ResourceQuirks } from './index.js';

/**
 * A failed connector's status_reason ends with how to test it again (send the credential again,
 * POST :test). Quoted after the connector was deleted, that advice points at nothing.
 */
export const llmConnectorQuirks: ResourceQuirks = {
  reasonWithoutRetry: (reason) => reason.replace(/;\s*to test it again\b[\s\S]*$/, ''),
};
