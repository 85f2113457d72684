import { dataSources } from '@claresia/catalog';
import { allChecks, overallStatus } from '../health/checks.js';
import { gatherFacts } from '../health/facts.js';
import { onboardingSteps } from '../health/onboarding.js';
import { latestHubRow, readHub, type HubRead } from '../health/hub-read.js';
import type { HubRow } from '../hub/hub-store.js';
import { checkFailingLinkOnRead } from '../hub/link-on-read.js';
import { provisionerSettings } from '../hub/settings.js';
import type { RequestContext } from '../http/router.js';
import type { Module } from './module.js';

/**
 * The Hub, read once for the whole health read. A failing Hub link is checked again first
 * (briefly), so a fixed endpoint reads green now; only a check that recorded something changed
 * the row, which is then read again. A control plane without the Hub or its link columns has
 * nothing to check: the hub line says so.
 */
async function readHubCheckingLink(ctx: RequestContext): Promise<HubRead | null> {
  const read = await readHub(ctx.db, ctx.tenant());
  if (!read?.row || !read.columns.has('link_error')) return read;
  const recorded = await checkFailingLinkOnRead(ctx.app, provisionerSettings(), read.row as unknown as HubRow);
  return recorded ? { columns: read.columns, row: await latestHubRow(ctx.tenant(), read.columns) } : read;
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
        const hub = await readHubCheckingLink(ctx);
        const facts = await gatherFacts(ctx.db, ctx.app.keys, ctx.tenant().tenantId, hub);
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
