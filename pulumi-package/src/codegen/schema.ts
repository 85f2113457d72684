/**
 * The Pulumi package schema (`schema.json`), derived from the catalog. The provider serves it
 * from GetSchema; the SDK generator and the docs read it. Nested object attributes become
 * named types `claresia:index:<Resource><Property>`.
 */
import { waitArgumentAttribute, type Attribute, type AttrType, type DataSourceDef, type ResourceDef } from '@claresia/catalog';
import { camel, functionToken, isInput, isSecret, PACKAGE, resourceToken } from '../names.js';
import { PROVIDER_CONFIG } from '../provider-config.js';
import { replacesOnChange } from '../provider/diff.js';

export const REGENERATE = 'npm run generate -w @claresia/pulumi';

type Spec = Record<string, unknown>;

function pascal(s: string): string {
  const c = camel(s);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

export function objectTypeToken(def: Pick<ResourceDef, 'title'>, path: string[]): string {
  return `${PACKAGE}:index:${def.title}${path.map(pascal).join('')}`;
}

class SchemaBuilder {
  readonly types: Record<string, Spec> = {};

  typeSpec(def: Pick<ResourceDef, 'title'>, t: AttrType, path: string[]): Spec {
    if (typeof t === 'string') return { type: t };
    if ('list' in t) return { type: 'array', items: this.typeSpec(def, t.list, path) };
    if ('set' in t) return { type: 'array', items: this.typeSpec(def, t.set, path) };
    if ('map' in t) return { type: 'object', additionalProperties: this.typeSpec(def, t.map, path) };
    const token = objectTypeToken(def, path);
    const properties: Record<string, Spec> = {};
    const required: string[] = [];
    for (const [name, a] of Object.entries(t.object)) {
      properties[camel(name)] = this.property(def, a, [...path, name]);
      if (a.mode === 'required') required.push(camel(name));
    }
    this.types[token] = { type: 'object', properties, ...(required.length ? { required } : {}) };
    return { $ref: `#/types/${token}` };
  }

  property(def: Pick<ResourceDef, 'title'>, a: Attribute, path: string[], replaces = false): Spec {
    let description = a.description;
    if (a.enum) description += ` One of: ${a.enum.map((e) => `\`${e}\``).join(', ')}.`;
    if (a.writeOnly) description += ' Write-only: sent to the API, never read back.';
    if (a.returnedOnce) description += ' Returned only when the resource is created.';
    const s: Spec = { ...this.typeSpec(def, a.type, path), description };
    if (a.default !== undefined) s.default = a.default;
    if (isSecret(a)) s.secret = true;
    if (replaces) s.willReplaceOnChanges = true;
    return s;
  }
}

function resourceSpec(b: SchemaBuilder, def: ResourceDef): Spec {
  const properties: Record<string, Spec> = {};
  const inputProperties: Record<string, Spec> = {};
  const required: string[] = [];
  const requiredInputs: string[] = [];
  for (const [name, a] of Object.entries(def.attributes)) {
    if (name === 'id') continue; // Pulumi's own resource id carries it.
    // The diff's own rule, so the schema and Diff cannot disagree on what replaces.
    const p = b.property(def, a, [name], replacesOnChange(def, a));
    if (isInput(a)) {
      inputProperties[camel(name)] = p;
      if (a.mode === 'required') requiredInputs.push(camel(name));
    }
    if (!a.writeOnly) {
      properties[camel(name)] = p;
      if (a.mode === 'required' || (a.mode === 'optional_computed' && a.default !== undefined)) required.push(camel(name));
    }
  }
  const wait = waitArgumentAttribute(def);
  if (wait) inputProperties[camel(wait[0])] = b.property(def, wait[1], [wait[0]]);
  return {
    description: `${def.description}\n\n## Import\n\nImport ID: \`${def.importId.format}\`${def.importId.what ? ` (${def.importId.what})` : ''}, for example \`${def.importId.example}\`.`,
    properties,
    required,
    inputProperties,
    requiredInputs,
    stateInputs: { description: `Input properties used for looking up and filtering ${def.title} resources.`, type: 'object', properties: { ...properties } },
  };
}

/** A data source as a function: its non-computed attributes are the arguments, all of them the result. */
function functionSpec(b: SchemaBuilder, def: DataSourceDef): Spec {
  const inputs: Record<string, Spec> = {};
  const required: string[] = [];
  const outputs: Record<string, Spec> = {};
  for (const [name, a] of Object.entries(def.attributes)) {
    const p = b.property(def, a, [name]);
    if (isInput(a)) {
      inputs[camel(name)] = p;
      if (a.mode === 'required') required.push(camel(name));
    }
    outputs[camel(name)] = p;
  }
  return {
    description: def.description,
    inputs: { type: 'object', properties: inputs, ...(required.length ? { required } : {}) },
    outputs: { type: 'object', properties: outputs },
  };
}

export function buildSchema(resources: readonly ResourceDef[], dataSources: readonly DataSourceDef[], version: string): Spec {
  const b = new SchemaBuilder();
  const res: Record<string, Spec> = {};
  for (const def of resources) res[resourceToken(def)] = resourceSpec(b, def);
  const functions: Record<string, Spec> = {};
  for (const def of dataSources) functions[functionToken(def)] = functionSpec(b, def);
  const variables: Record<string, Spec> = {};
  for (const c of PROVIDER_CONFIG) {
    variables[c.name] = { type: 'string', description: `${c.description} Environment variable: \`${c.env}\`.`, ...(c.secret ? { secret: true } : {}) };
  }
  return {
    attribution: `Generated from the Claresia resource catalog (catalog/src) by \`${REGENERATE}\`; do not edit by hand.`,
    name: PACKAGE,
    displayName: 'Claresia',
    version,
    description: 'Onboard Claresia tenants from Pulumi: tenants, identity, LLM connectors, the Hub and skill entitlements.',
    keywords: ['pulumi', 'claresia', 'category/utility', 'kind/native'],
    license: 'UNLICENSED',
    meta: { moduleFormat: '(.*)' },
    config: { variables },
    provider: {
      description: 'The Claresia provider. Configure an operator token to manage tenants, or a tenant token or service account for everything inside a tenant.',
      properties: variables,
      inputProperties: variables,
    },
    resources: res,
    functions,
    types: b.types,
    language: { nodejs: { packageName: '@claresia/pulumi', packageDescription: 'Claresia resources for Pulumi programs.' } },
  };
}
