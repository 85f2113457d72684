import type { DataSourceDef, ResourceDef } from './types.js';
import { tenant } from './resources/tenant.js';
import { ssoConnection } from './resources/sso_connection.js';
import { llmConnector } from './resources/llm_connector.js';
import { hub } from './resources/hub.js';

export * from './types.js';
export * from './json-schema.js';
export * from './normalize.js';
export { buildOpenApi, type ExtraOperation } from './openapi.js';

/**
 * Every managed resource, in the order a tenant is onboarded. Add a resource by writing
 * `resources/<name>.ts` and listing it here; nothing else declares attributes.
 */
export const resources: readonly ResourceDef[] = [tenant, ssoConnection, llmConnector, hub];

export const dataSources: readonly DataSourceDef[] = [];

export function resourceByName(name: string): ResourceDef {
  const r = resources.find((x) => x.name === name);
  if (!r) throw new Error(`unknown resource ${name}`);
  return r;
}

export const PROVIDER_NAME = 'claresia';
