import type { Attribute, DataSourceDef, ResourceDef } from './types.js';
import { tenant } from './resources/tenant.js';
import { ssoConnection } from './resources/sso_connection.js';
import { llmConnector } from './resources/llm_connector.js';
import { hub } from './resources/hub.js';
import { cowork } from './resources/cowork.js';
import { skillEntitlement } from './resources/skill_entitlement.js';
import { skillCatalog } from './data-sources/skill_catalog.js';
import { archetypes } from './data-sources/archetypes.js';
import { tenantHealth } from './data-sources/tenant_health.js';
import { hubReady } from './data-sources/hub_ready.js';
import { scimDirectory } from './resources/scim_directory.js';
import { groupMapping } from './resources/group_mapping.js';
import { webhook } from './resources/webhook.js';
import { rosterSync } from './resources/roster_sync.js';
import { withRuleNotes } from './rules.js';

export * from './types.js';
export * from './json-schema.js';
export * from './normalize.js';
export * from './rules.js';
export * from './cidr.js';
export * from './import-id.js';
export * from './outbound-url.js';
export * from './format-checks.js';
export * from './ca-bundle.js';
export * from './signing-certificates.js';
export * from './pem.js';
export * from './async-wait.js';
export * from './rotation.js';
export * from './existing-object.js';
export * from './schema-messages.js';
export { buildOpenApi, type ExtraOperation } from './openapi.js';
export { ARCHETYPES, SKILL_ID_PATTERN } from './resources/skill_entitlement.js';
export { ROLES, RBAC_GROUP_PREFIX } from './resources/group_mapping.js';
export { WEBHOOK_EVENTS } from './resources/webhook.js';
export { LLM_DEFAULT_BASE_URLS } from './resources/llm_connector.js';

/**
 * Every managed resource, in the order a tenant is onboarded. Add a resource by writing
 * `resources/<name>.ts` and listing it here; nothing else declares attributes.
 */
export const resources: readonly ResourceDef[] = [tenant, ssoConnection, scimDirectory, groupMapping, llmConnector, hub, rosterSync, cowork, skillEntitlement, webhook].map(withRuleNotes);

export const dataSources: readonly DataSourceDef[] = [skillCatalog, archetypes, tenantHealth, hubReady];

/** Whether an API answer is an object this resource manages (see ResourceDef.managedWhen). */
export function isManaged(def: ResourceDef, api: Record<string, unknown>): boolean {
  return !def.managedWhen || api[def.managedWhen.attribute] === def.managedWhen.equals;
}

/**
 * The IaC tools' own argument that lets create and update return before the object is ready
 * (see AsyncStatus.waitArgument), as an input attribute; never part of an API request.
 */
export function waitArgumentAttribute(def: ResourceDef): [string, Attribute] | undefined {
  const w = def.async?.waitArgument;
  return w ? [w.name, { type: 'boolean', mode: 'optional', default: true, description: w.description }] : undefined;
}

export function resourceByName(name: string): ResourceDef {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`unknown resource ${name}`);
  return r;
}

export const PROVIDER_NAME = 'claresia';
