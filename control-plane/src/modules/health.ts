import { dataSources } from '@claresia/catalog';
import { allChecks, overallStatus } from '../health/checks.js';
import { gatherFacts } from '../health/facts.js';
import { onboardingSteps } from '../health/onboarding.js';
import { columnsOf } from '../health/schema-probe.js';
import { liveHubs, type HubRow } from '../hub/hub-store.js';
import { checkFailingLinkOnRead } from '../hub/link-on-read.js';
import { provisionerSettings } from '../hub/settings.js';
import type { RequestContext } from '../http/router.js';
import type { Module } from './module.js';

/**
 * A failing Hub link is checked again first (briefly), so a fixed endpoint reads green now. A
 * control plane without the Hub or its link columns has nothing to check: the hub line says so.
 */
async function checkHubLinkFirst(ctx: RequestContext): Promise<void> {
  if (!(await columnsOf(ctx.db, 'hubs')).has('link_error')) return;
  const hub = (await liveHubs(ctx.tenant()).first('id', 'mode', 'status', 'deleted_at', 'link_error', 'link_checked_at')) as HubRow | undefined;
  if (hub) await checkFailingLinkOnRead(ctx.app, provisionerSettings(), hub);
}

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
        await checkHubLinkFirst(ctx);
        const facts = await gatherFacts(ctx.db, ctx.app.keys, ctx.tenant().tenantId);
        const checks = allChecks(facts);
        return {
          body: {
            overall: overallStatus(checks),
            checks,
            onboarding: onboardingSteps(facts),
            checked_at: facts.now.toISOString(),
          },
        };
      },
    });
  },
};
