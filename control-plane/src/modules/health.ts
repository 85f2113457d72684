import { dataSources } from '@claresia/catalog';
import { allChecks } from '../health/checks.js';
import { gatherFacts } from '../health/facts.js';
import { onboardingSteps } from '../health/onboarding.js';
import { liveHubs, type HubRow } from '../hub/hub-store.js';
import { checkFailingLinkOnRead } from '../hub/link-on-read.js';
import { provisionerSettings } from '../hub/settings.js';
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
        // A failing Hub link is checked again first (briefly), so a fixed endpoint reads green now.
        const hub = (await liveHubs(ctx.tenant()).first('id', 'mode', 'status', 'deleted_at', 'link_error', 'link_checked_at')) as HubRow | undefined;
        if (hub) await checkFailingLinkOnRead(ctx.app, provisionerSettings(), hub);
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
