import { startSweeps } from '../jobs/retention.js';
import { startRunner } from '../jobs/runner.js';
import { jobSettings } from '../jobs/settings.js';
import type { Module } from './module.js';

/**
 * Runs the durable job queue (distribution publishes, webhook deliveries) in this replica, and
 * the sweep of what it leaves behind once past retention.
 * Listed last so that, stopping in reverse order, it stops taking jobs before anything else stops.
 */
export const jobsModule: Module = {
  name: 'jobs',
  async start(app) {
    const s = jobSettings();
    const runner = startRunner(app, s);
    const stopSweeps = startSweeps(app, s);
    return async () => {
      await stopSweeps();
      await runner.stop();
    };
  },
};
