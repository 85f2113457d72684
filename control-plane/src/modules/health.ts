import { dataSources } from '@claresia/catalog';
import { allChecks } from '../health/checks.js';
import { gatherFacts } from '../health/facts.js';
import { onboardingSteps } from '../health/onboarding.js';
import type { Module } from './module.js';

const HEALTH_PATH = dataSources.find((d) => d.name === 'tenant_health')!.api.read.path;

export const healthModule: Module = {
  name: 'health',
  routes(r) {
    r.route({
      method: 'GET',
      path: HEALTH_PATH,
      auth: 'tenant',
      tag: 'tenant_health',
      summary: '',
      catalogOperation: true,
      async handler(ctx) {
        const facts = await gatherFacts(ctx.db, ctx.app.keys, ctx.tenant().tenantId);
        const checks = allChecks(facts);
        return {
          body: {
            overall: checks.every((c) => c.status === 'green') ? 'green' : 'red',
            checks,
            onboarding: onboardingSteps(facts),
            checked_at: facts.now.toISOString(),
          },
        };
      },
    });
  },
};
