/**
 * The tfplugin6.Provider methods: decode values against the catalog-derived types, hand them to
 * the generic resource, encode the answers. Every failure becomes a diagnostic.
 */
import { dataSources, resources, type DataSourceDef, type ResourceDef } from '@claresia/catalog';
import { ClaresiaApiError, ClaresiaClient } from '@claresia/client';
import { decodeDynamic, dynamic, fromJsonValue, ValueError } from './values/codec.js';
import type { ObjectValue } from './values/cty.js';
import { providerSchema, providerType, resourceSchema } from './schema.js';
import { credentialsRejected, error, fromError, attributePath, tokenRejected, type Diagnostic } from './diagnostics.js';
import { describeSource, providerBlockDiagnostics, resolveConfig } from './config.js';
import { GenericResource } from './resource/generic.js';
import { GenericDataSource } from './resource/data-source.js';
import { quirksFor } from './resources/index.js';
import { validateConfig } from './validate.js';
import { providerAttributes } from './schema.js';
import { log } from './plugin/log.js';
import type { UnaryHandler } from './plugin/server.js';
import pkg from '../package.json' with { type: 'json' };

// The User-Agent names the version; the build bundles package.json's.
export const PROVIDER_VERSION: string = pkg.version;

export function createProvider(defs: readonly ResourceDef[] = resources, dataDefs: readonly DataSourceDef[] = dataSources) {
  const byType = new Map(defs.map((d) => [`claresia_${d.name}`, new GenericResource(d)]));
  const dataByType = new Map(dataDefs.map((d) => [`claresia_${d.name}`, new GenericDataSource(d)]));
  const dataSource = (typeName: string) => {
    const d = dataByType.get(typeName);
    if (!d) throw new Error(`unknown data source ${typeName}`);
    return d;
  };
  let client: ClaresiaClient | undefined;
  let unknownConfig = false;
  // StopProvider: cancel what is in flight so Terraform's interrupt is honoured quickly.
  let stop = new AbortController();

  const resource = (typeName: string) => {
    const r = byType.get(typeName);
    if (!r) throw new Error(`unknown resource type ${typeName}`);
    return r;
  };
  const needClient = () => {
    if (!client) throw new Error('the provider is not configured (ConfigureProvider was not called or failed)');
    return client;
  };
  const guard =
    <Req>(action: string, fn: (req: Req) => Promise<Record<string, unknown>>) =>
    async (req: Req) => {
      try {
        return await fn(req);
      } catch (err) {
        log('error', `${action} failed`, { error: (err as Error).message });
        const d = err instanceof ValueError ? error(`${action}: malformed value`, err.message) : fromError(err, action);
        return { diagnostics: [d] };
      }
    };

  const handlers: Record<string, UnaryHandler> = {
    GetMetadata: async () => ({
      server_capabilities: { get_provider_schema_optional: true },
      resources: [...byType.keys()].map((type_name) => ({ type_name })),
      data_sources: [...dataByType.keys()].map((type_name) => ({ type_name })),
    }),

    GetProviderSchema: async () => ({
      provider: providerSchema(),
      resource_schemas: Object.fromEntries([...byType.values()].map((r) => [r.typeName, resourceSchema(r.def)])),
      data_source_schemas: Object.fromEntries([...dataByType.values()].map((d) => [d.typeName, d.schema()])),
      server_capabilities: { get_provider_schema_optional: true },
    }),

    GetResourceIdentitySchemas: async () => ({ identity_schemas: {} }),
    GetFunctions: async () => ({ functions: {} }),

    ValidateProviderConfig: guard('Validate provider', async (req: any) => {
      const config = decodeDynamic(providerType, req.config) as ObjectValue;
      return { diagnostics: [...validateConfig(providerAttributes, config), ...providerBlockDiagnostics(config)] };
    }),

    ConfigureProvider: guard('Configure provider', async (req: any) => {
      const config = decodeDynamic(providerType, req.config) as ObjectValue;
      const resolved = resolveConfig(config, process.env, PROVIDER_VERSION);
      unknownConfig = !resolved.known;
      client = resolved.options ? new ClaresiaClient(resolved.options) : undefined;
      log('debug', 'configured', { endpoint: resolved.options?.endpoint, terraform: req.terraform_version, auth: resolved.options?.token ? 'token' : 'client_credentials' });
      if (client) {
        // Signing in here, not at the first request, makes refused credentials one error on
        // the provider block instead of one per resource and data source.
        const s = resolved.sources ?? {};
        try {
          await client.signIn(stop.signal);
        } catch (err) {
          if (err instanceof ClaresiaApiError && err.rejectsCredentials) {
            client = undefined;
            const where = `${describeSource('client_id', s.clientId)} and ${describeSource('client_secret', s.clientSecret)}`;
            const named = err.field === 'client_id' ? 'client_id' : 'client_secret';
            const source = named === 'client_id' ? s.clientId : s.clientSecret;
            return { diagnostics: [credentialsRejected(err, where, source === 'block' ? [named] : undefined), ...resolved.diagnostics] };
          }
          if (err instanceof ClaresiaApiError && err.status === 401 && resolved.options?.token) {
            client = undefined;
            return { diagnostics: [tokenRejected(err, describeSource('token', s.token), s.token === 'block' ? ['token'] : undefined), ...resolved.diagnostics] };
          }
          // Not answered now (down, busy): each request retries and reports it where it happens.
          log('debug', 'sign-in at configure did not complete', { error: (err as Error).message });
        }
      }
      return { diagnostics: resolved.diagnostics };
    }),

    ValidateResourceConfig: guard('Validate', async (req: any) => {
      const r = resource(req.type_name);
      const config = decodeDynamic(r.type, req.config) as ObjectValue;
      // Validate runs before configure: write-only support is what this request says.
      return { diagnostics: r.validate(config, !!req.client_capabilities?.write_only_attributes_allowed) };
    }),

    ValidateDataResourceConfig: guard('Validate', async (req: any) => {
      const d = dataSource(req.type_name);
      return { diagnostics: d.validate(decodeDynamic(d.type, req.config) as ObjectValue) };
    }),

    UpgradeResourceState: guard('Upgrade state', async (req: any) => {
      const r = resource(req.type_name);
      if (req.version > r.def.schemaVersion) {
        return { diagnostics: [error('State from a newer provider', `${r.typeName} state has schema version ${req.version}; this provider knows up to ${r.def.schemaVersion}. Upgrade the provider.`)] };
      }
      let raw = JSON.parse(Buffer.from(req.raw_state?.json ?? new Uint8Array()).toString('utf8') || 'null') as Record<string, unknown> | null;
      const steps = quirksFor(r.def.name).upgrades ?? {};
      for (let v = req.version; raw && v < r.def.schemaVersion; v++) raw = steps[v] ? steps[v]!(raw) : raw;
      // Attributes the schema dropped are left behind; ones it added start null and are filled by the next read.
      const value = raw === null ? null : fromJsonValue(r.type, raw);
      return { upgraded_state: dynamic(r.type, value) };
    }),

    ReadResource: guard('Read', async (req: any) => {
      const r = resource(req.type_name);
      const state = decodeDynamic(r.type, req.current_state) as ObjectValue | null;
      if (state === null) return { new_state: dynamic(r.type, null) };
      if (unknownConfig || !client) return { new_state: dynamic(r.type, state), private: req.private };
      try {
        const { value: next, diagnostics } = await r.read(client, state, stop.signal);
        if (next === null) log('info', 'resource no longer exists; removing it from state', { type: r.typeName, id: state[r.def.idAttribute] });
        return { new_state: dynamic(r.type, next), private: req.private, diagnostics };
      } catch (err) {
        return { new_state: dynamic(r.type, state), private: req.private, diagnostics: [fromError(err, `Reading ${r.typeName}`, r.def.attributes)] };
      }
    }),

    PlanResourceChange: guard('Plan', async (req: any) => {
      const r = resource(req.type_name);
      const prior = decodeDynamic(r.type, req.prior_state) as ObjectValue | null;
      const proposed = decodeDynamic(r.type, req.proposed_new_state) as ObjectValue | null;
      const config = decodeDynamic(r.type, req.config) as ObjectValue | null;
      const { planned, requiresReplace, diagnostics } = r.plan(prior, proposed, config);
      return {
        planned_state: dynamic(r.type, planned),
        requires_replace: requiresReplace.map((p) => attributePath(p)),
        planned_private: req.prior_private,
        diagnostics,
      };
    }),

    ApplyResourceChange: guard('Apply', async (req: any) => {
      const r = resource(req.type_name);
      const prior = decodeDynamic(r.type, req.prior_state) as ObjectValue | null;
      const planned = decodeDynamic(r.type, req.planned_state) as ObjectValue | null;
      const config = (decodeDynamic(r.type, req.config) as ObjectValue | null) ?? {};
      const c = needClient();
      const signal = stop.signal;
      let result: { value: ObjectValue | null; diagnostics: Diagnostic[] };
      try {
        if (planned === null) result = await r.delete(c, prior!, signal);
        else if (prior === null) result = await r.create(c, planned, config, signal);
        else result = await r.update(c, prior, planned, config, signal);
      } catch (err) {
        const action = planned === null ? `Deleting ${r.typeName}` : prior === null ? `Creating ${r.typeName}` : `Updating ${r.typeName}`;
        // On failure the object is as it was: prior state (null for a create that never happened).
        return { new_state: dynamic(r.type, prior), diagnostics: [fromError(err, action, r.def.attributes)] };
      }
      return { new_state: dynamic(r.type, result.value), private: req.planned_private, diagnostics: result.diagnostics };
    }),

    ImportResourceState: guard('Import', async (req: any) => {
      const r = resource(req.type_name);
      const { value, diagnostics } = r.importState(req.id);
      if (!value) return { diagnostics };
      return { imported_resources: [{ type_name: r.typeName, state: dynamic(r.type, value) }], diagnostics };
    }),

    ReadDataSource: guard('Read data source', async (req: any) => {
      const d = dataSource(req.type_name);
      const config = decodeDynamic(d.type, req.config) as ObjectValue;
      if (unknownConfig) {
        // Terraform reads data sources while planning and accepts no unknown answer.
        return {
          diagnostics: [
            error(
              `Cannot read ${d.typeName} yet`,
              'This provider block depends on values known only after apply (for example client_id and client_secret from a claresia_tenant created in the same run). ' +
                'Add depends_on = [<that resource>] to this data source so Terraform reads it once they exist.',
            ),
          ],
        };
      }
      try {
        return { state: dynamic(d.type, await d.read(needClient(), config, stop.signal)) };
      } catch (err) {
        return { diagnostics: [fromError(err, `Reading ${d.typeName}`, d.def.attributes)] };
      }
    }),

    StopProvider: async () => {
      log('info', 'stop requested; cancelling requests in flight');
      stop.abort(new Error('Terraform asked the provider to stop'));
      stop = new AbortController();
      return {};
    },
  };
  return handlers;
}

