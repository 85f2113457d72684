// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { VERSION } from '../version.js';
import { Tenant } from './tenant.js';
import { SsoConnection } from './sso_connection.js';
import { ScimDirectory } from './scim_directory.js';
import { GroupMapping } from './group_mapping.js';
import { LlmConnector } from './llm_connector.js';
import { Hub } from './hub.js';
import { RosterSync } from './roster_sync.js';
import { Cowork } from './cowork.js';
import { SkillEntitlement } from './skill_entitlement.js';
import { Webhook } from './webhook.js';
import { Provider } from './provider.js';

export { Tenant, type TenantArgs, type TenantState } from './tenant.js';
export { SsoConnection, type SsoConnectionArgs, type SsoConnectionState } from './sso_connection.js';
export { ScimDirectory, type ScimDirectoryArgs, type ScimDirectoryState } from './scim_directory.js';
export { GroupMapping, type GroupMappingArgs, type GroupMappingState } from './group_mapping.js';
export { LlmConnector, type LlmConnectorArgs, type LlmConnectorState } from './llm_connector.js';
export { Hub, type HubArgs, type HubState } from './hub.js';
export { RosterSync, type RosterSyncArgs, type RosterSyncState } from './roster_sync.js';
export { Cowork, type CoworkArgs, type CoworkState } from './cowork.js';
export { SkillEntitlement, type SkillEntitlementArgs, type SkillEntitlementState } from './skill_entitlement.js';
export { Webhook, type WebhookArgs, type WebhookState } from './webhook.js';
export { getSkillCatalog, getSkillCatalogOutput, type GetSkillCatalogResult } from './get_skill_catalog.js';
export { getArchetypes, getArchetypesOutput, type GetArchetypesResult } from './get_archetypes.js';
export { getTenantHealth, getTenantHealthOutput, type GetTenantHealthResult } from './get_tenant_health.js';
export { getHubReady, getHubReadyOutput, type GetHubReadyResult, type GetHubReadyArgs, type GetHubReadyOutputArgs } from './get_hub_ready.js';
export { Provider, type ProviderArgs } from './provider.js';

// Lets the runtime rebuild resource references (e.g. outputs of a stack reference) as SDK objects.
pulumi.runtime.registerResourceModule('claresia', 'index', {
  version: VERSION,
  construct(name: string, type: string, urn: string): pulumi.Resource {
    switch (type) {
      case 'claresia:index:Tenant':
        return new Tenant(name, undefined as never, { urn });
      case 'claresia:index:SsoConnection':
        return new SsoConnection(name, undefined as never, { urn });
      case 'claresia:index:ScimDirectory':
        return new ScimDirectory(name, undefined as never, { urn });
      case 'claresia:index:GroupMapping':
        return new GroupMapping(name, undefined as never, { urn });
      case 'claresia:index:LlmConnector':
        return new LlmConnector(name, undefined as never, { urn });
      case 'claresia:index:Hub':
        return new Hub(name, undefined as never, { urn });
      case 'claresia:index:RosterSync':
        return new RosterSync(name, undefined as never, { urn });
      case 'claresia:index:Cowork':
        return new Cowork(name, undefined as never, { urn });
      case 'claresia:index:SkillEntitlement':
        return new SkillEntitlement(name, undefined as never, { urn });
      case 'claresia:index:Webhook':
        return new Webhook(name, undefined as never, { urn });
      default:
        throw new Error(`unknown resource type ${type}`);
    }
  },
});
pulumi.runtime.registerResourcePackage('claresia', {
  version: VERSION,
  constructProvider(name: string, type: string, urn: string): pulumi.ProviderResource {
    if (type !== 'pulumi:providers:claresia') throw new Error(`unknown provider type ${type}`);
    return new Provider(name, undefined, { urn });
  },
});
