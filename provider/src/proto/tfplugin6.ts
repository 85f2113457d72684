/**
 * The parts of the Terraform plugin protocol 6 (tfplugin6) this provider speaks, written from
 * the documented protocol: field numbers and kinds must match Terraform's; names are ours.
 * Messages and fields we never read or send are left out (unknown fields are skipped).
 */
import type { FieldSpec, MessageSpec } from './wire.js';

const f = (no: number, kind: FieldSpec['kind'], msg?: () => MessageSpec, repeated = false): FieldSpec => ({ no, kind, msg, repeated });
const rep = (no: number, msg: () => MessageSpec): FieldSpec => f(no, 'message', msg, true);

export const DynamicValue: MessageSpec = { msgpack: f(1, 'bytes'), json: f(2, 'bytes') };

export const AttributePathStep: MessageSpec = {
  attribute_name: f(1, 'string'),
  element_key_string: f(2, 'string'),
  element_key_int: f(3, 'int64'),
};
export const AttributePath: MessageSpec = { steps: rep(1, () => AttributePathStep) };

export const Diagnostic: MessageSpec = {
  severity: f(1, 'enum'),
  summary: f(2, 'string'),
  detail: f(3, 'string'),
  attribute: f(4, 'message', () => AttributePath),
};

export const RawState: MessageSpec = { json: f(1, 'bytes'), flatmap: f(2, 'map') };

export const SchemaAttribute: MessageSpec = {
  name: f(1, 'string'),
  type: f(2, 'bytes'),
  nested_type: f(10, 'message', () => SchemaObject),
  description: f(3, 'string'),
  required: f(4, 'bool'),
  optional: f(5, 'bool'),
  computed: f(6, 'bool'),
  sensitive: f(7, 'bool'),
  description_kind: f(8, 'enum'),
  deprecated: f(9, 'bool'),
  write_only: f(11, 'bool'),
};
export const SchemaObject: MessageSpec = { attributes: rep(1, () => SchemaAttribute), nesting: f(3, 'enum') };
export const SchemaBlock: MessageSpec = {
  version: f(1, 'int64'),
  attributes: rep(2, () => SchemaAttribute),
  description: f(4, 'string'),
  description_kind: f(5, 'enum'),
  deprecated: f(6, 'bool'),
};
export const Schema: MessageSpec = { version: f(1, 'int64'), block: f(2, 'message', () => SchemaBlock) };

export const ServerCapabilities: MessageSpec = {
  plan_destroy: f(1, 'bool'),
  get_provider_schema_optional: f(2, 'bool'),
  move_resource_state: f(3, 'bool'),
};
export const ClientCapabilities: MessageSpec = {
  deferral_allowed: f(1, 'bool'),
  write_only_attributes_allowed: f(2, 'bool'),
};

const diags = (no: number) => rep(no, () => Diagnostic);
const dv = (no: number) => f(no, 'message', () => DynamicValue);
const typeName = f(1, 'string');
const TypeNameOnly: MessageSpec = { type_name: f(1, 'string') };

export const Empty: MessageSpec = {};

export const GetMetadataResponse: MessageSpec = {
  server_capabilities: f(1, 'message', () => ServerCapabilities),
  diagnostics: diags(2),
  data_sources: rep(3, () => TypeNameOnly),
  resources: rep(4, () => TypeNameOnly),
};

export const GetProviderSchemaResponse: MessageSpec = {
  provider: f(1, 'message', () => Schema),
  resource_schemas: f(2, 'map', () => Schema),
  data_source_schemas: f(3, 'map', () => Schema),
  diagnostics: diags(4),
  server_capabilities: f(6, 'message', () => ServerCapabilities),
};

export const ValidateProviderConfigRequest: MessageSpec = { config: dv(1) };
export const ValidateProviderConfigResponse: MessageSpec = { diagnostics: diags(2) };

export const UpgradeResourceStateRequest: MessageSpec = {
  type_name: typeName,
  version: f(2, 'int64'),
  raw_state: f(3, 'message', () => RawState),
};
export const UpgradeResourceStateResponse: MessageSpec = { upgraded_state: dv(1), diagnostics: diags(2) };

export const ValidateResourceConfigRequest: MessageSpec = {
  type_name: typeName,
  config: dv(2),
  client_capabilities: f(3, 'message', () => ClientCapabilities),
};
export const DiagnosticsAt1: MessageSpec = { diagnostics: diags(1) };

export const ValidateDataResourceConfigRequest: MessageSpec = { type_name: typeName, config: dv(2) };

export const ConfigureProviderRequest: MessageSpec = {
  terraform_version: f(1, 'string'),
  config: dv(2),
  client_capabilities: f(3, 'message', () => ClientCapabilities),
};

export const ReadResourceRequest: MessageSpec = {
  type_name: typeName,
  current_state: dv(2),
  private: f(3, 'bytes'),
  provider_meta: dv(4),
};
export const ReadResourceResponse: MessageSpec = { new_state: dv(1), diagnostics: diags(2), private: f(3, 'bytes') };

export const PlanResourceChangeRequest: MessageSpec = {
  type_name: typeName,
  prior_state: dv(2),
  proposed_new_state: dv(3),
  config: dv(4),
  prior_private: f(5, 'bytes'),
};
export const PlanResourceChangeResponse: MessageSpec = {
  planned_state: dv(1),
  requires_replace: rep(2, () => AttributePath),
  planned_private: f(3, 'bytes'),
  diagnostics: diags(4),
};

export const ApplyResourceChangeRequest: MessageSpec = {
  type_name: typeName,
  prior_state: dv(2),
  planned_state: dv(3),
  config: dv(4),
  planned_private: f(5, 'bytes'),
};
export const ApplyResourceChangeResponse: MessageSpec = { new_state: dv(1), private: f(2, 'bytes'), diagnostics: diags(3) };

export const ImportResourceStateRequest: MessageSpec = { type_name: typeName, id: f(2, 'string') };
export const ImportedResource: MessageSpec = { type_name: typeName, state: dv(2), private: f(3, 'bytes') };
export const ImportResourceStateResponse: MessageSpec = { imported_resources: rep(1, () => ImportedResource), diagnostics: diags(2) };

export const ReadDataSourceRequest: MessageSpec = { type_name: typeName, config: dv(2), provider_meta: dv(3) };
export const ReadDataSourceResponse: MessageSpec = { state: dv(1), diagnostics: diags(2) };

export const GetFunctionsResponse: MessageSpec = { functions: f(1, 'map', () => Empty), diagnostics: diags(2) };
export const GetResourceIdentitySchemasResponse: MessageSpec = { identity_schemas: f(1, 'map', () => Empty), diagnostics: diags(2) };

export const StopProviderResponse: MessageSpec = { Error: f(1, 'string') };

/** Method name → [request, response]. Methods not listed answer UNIMPLEMENTED. */
export const ProviderMethods: Record<string, [MessageSpec, MessageSpec]> = {
  GetMetadata: [Empty, GetMetadataResponse],
  GetProviderSchema: [Empty, GetProviderSchemaResponse],
  ValidateProviderConfig: [ValidateProviderConfigRequest, ValidateProviderConfigResponse],
  ValidateResourceConfig: [ValidateResourceConfigRequest, DiagnosticsAt1],
  ValidateDataResourceConfig: [ValidateDataResourceConfigRequest, DiagnosticsAt1],
  UpgradeResourceState: [UpgradeResourceStateRequest, UpgradeResourceStateResponse],
  GetResourceIdentitySchemas: [Empty, GetResourceIdentitySchemasResponse],
  ConfigureProvider: [ConfigureProviderRequest, DiagnosticsAt1],
  ReadResource: [ReadResourceRequest, ReadResourceResponse],
  PlanResourceChange: [PlanResourceChangeRequest, PlanResourceChangeResponse],
  ApplyResourceChange: [ApplyResourceChangeRequest, ApplyResourceChangeResponse],
  ImportResourceState: [ImportResourceStateRequest, ImportResourceStateResponse],
  ReadDataSource: [ReadDataSourceRequest, ReadDataSourceResponse],
  GetFunctions: [Empty, GetFunctionsResponse],
  StopProvider: [Empty, StopProviderResponse],
};

export const Severity = { ERROR: 1, WARNING: 2 } as const;
export const StringKind = { PLAIN: 0, MARKDOWN: 1 } as const;
export const NestingMode = { SINGLE: 1, LIST: 2, SET: 3, MAP: 4 } as const;
