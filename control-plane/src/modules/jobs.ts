import { startRunner } from '../jobs/runner.js';
import { jobSettings } from '../jobs/settings.js';
import type { Module } from './module.js';

/**
 * Runs the durable job queue (distribution publishes, webhook deliveries) in this replica.
 * Listed last so that, stopping in reverse order, it stops taking jobs before anything else stops.
 */
export const jobsModule: Module = {
  name: 'jobs',
  async start(app) {
    const runner = startRunner(app, jobSettings());
    return () => runner.stop();
  },
};
