import { jobSettings } from '../jobs/settings.js';

// The give-up is one of the JobSettings every publish job receives, read once at start; its
// parsing and checks live beside them (jobs/settings-give-up.ts) so that jobSettings can use them.
export { describePeriod } from '../jobs/settings-give-up.js';

/**
 * CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS in milliseconds (Infinity for 0), as jobSettings reads
 * and checks it from `env`: for a caller that has no JobSettings at hand.
 */
export function publishGiveUpMs(env: NodeJS.ProcessEnv = process.env): number {
  return jobSettings(env).publishGiveUpMs;
}
