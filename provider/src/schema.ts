/**
 * The Terraform schema of every resource, derived from the catalog: no attribute is declared
 * here. Also the cty type of each resource's state, which the value codec reads against.
 */
import type { Attribute, AttrType, ResourceDef } from '@claresia/catalog';
import { typeJson, type CtyType } from './values/cty.js';
import { NestingMode, StringKind } from './proto/tfplugin6.js';

/** Attributes every asynchronous resource gains: how long apply may wait for it. */
export const TIMEOUTS_ATTRIBUTE = 'timeouts';
const TIMEOUT_OPERATIONS = ['create', 'update', 'delete'] as const;

export function ctyTypeOf(t: AttrType): CtyType {
  if (typeof t === 'string') return t === 'boolean' ? 'bool' : t === 'integer' ? 'number' : t;
  if ('list' in t) return { list: ctyTypeOf(t.list) };
  if ('set' in t) return { set: ctyTypeOf(t.set) };
  if ('map' in t) return { map: ctyTypeOf(t.map) };
  return { object: Object.fromEntries(Object.entries(t.object).map(([k, a]) => [k, ctyTypeOf(a.type)])) };
}

export function hasTimeouts(def: ResourceDef): boolean {
  return !!def.async;
}

/** The catalog's argument that lets create and update return before the object is ready, if it has one. */
export function waitArgument(def: ResourceDef): string | undefined {
  return def.async?.waitArgument?.name;
}

/**
 * Terraform never compares write-only values (they are not in state), so each write-only
 * attribute gets a companion `<name>_wo_version`: changing it is how a configuration says
 * "send the new value". It lives only in Terraform; the API never sees it.
 */
export function writeOnlyVersions(def: ResourceDef): ReadonlyArray<{ version: string; attribute: string }> {
  let v = versionsOf.get(def);
  if (!v) {
    v = Object.entries(def.attributes)
      .filter(([, a]) => a.writeOnly)
      .map(([name]) => ({ version: `${name}_wo_version`, attribute: name }));
    versionsOf.set(def, v);
  }
  return v;
}

/** Attributes the provider adds to a catalog entry (timeouts, write-only versions): kept as configured. */
export function providerSideAttributes(def: ResourceDef): readonly string[] {
  let a = sideOf.get(def);
  if (!a) {
    const wait = waitArgument(def);
    a = [...(hasTimeouts(def) ? [TIMEOUTS_ATTRIBUTE] : []), ...(wait ? [wait] : []), ...writeOnlyVersions(def).map((v) => v.version)];
    sideOf.set(def, a);
  }
  return a;
}

// Both are asked on every read and apply; a catalog entry does not change while the provider runs.
const versionsOf = new WeakMap<ResourceDef, ReadonlyArray<{ version: string; attribute: string }>>();
const sideOf = new WeakMap<ResourceDef, readonly string[]>();

/** The cty object type of a resource's state (and config and plan). */
export function resourceType(def: ResourceDef): { object: Record<string, CtyType> } {
  const object: Record<string, CtyType> = {};
  for (const [name, attr] of Object.entries(def.attributes)) object[name] = ctyTypeOf(attr.type);
  if (hasTimeouts(def)) object[TIMEOUTS_ATTRIBUTE] = { object: Object.fromEntries(TIMEOUT_OPERATIONS.map((o) => [o, 'string' as CtyType])) };
  const wait = waitArgument(def);
  if (wait) object[wait] = 'bool';
  for (const v of writeOnlyVersions(def)) object[v.version] = 'number';
  return { object };
}

/** How the docs and the schema state a default: a list or map as HCL would show it, not as String() does ([] was ``). */
export function defaultNote(value: unknown): string {
  return `Defaults to \`${typeof value === 'string' ? value : JSON.stringify(value)}\`.`;
}

function description(attr: Attribute): string {
  const notes: string[] = [];
  if (attr.enum) notes.push(`One of ${attr.enum.map((v) => `\`${v}\``).join(', ')}.`);
  if (attr.default !== undefined) notes.push(defaultNote(attr.default));
  if (attr.forceNew && attr.mode !== 'computed') notes.push('Changing it replaces the resource.');
  if (attr.writeOnly) notes.push('Write-only: sent to the API, never stored in state.');
  if (attr.returnedOnce) notes.push('Returned only when created; an imported resource has it null.');
  return [attr.description, ...notes].join(' ');
}

/** Modes map onto Terraform's required/optional/computed flags; write-only cannot be computed. */
export function flags(attr: Attribute) {
  const writeOnly = !!attr.writeOnly;
  return {
    required: attr.mode === 'required',
    optional: attr.mode === 'optional' || attr.mode === 'optional_computed',
    computed: !writeOnly && (attr.mode === 'optional_computed' || attr.mode === 'computed'),
    sensitive: !!attr.sensitive,
    write_only: writeOnly,
  };
}

function nestedObject(t: AttrType): { attrs: Record<string, Attribute>; nesting: number } | undefined {
  if (typeof t === 'string') return undefined;
  if ('object' in t) return { attrs: t.object, nesting: NestingMode.SINGLE };
  const inner = 'list' in t ? t.list : 'set' in t ? t.set : t.map;
  if (typeof inner === 'string' || !('object' in inner)) return undefined;
  return { attrs: inner.object, nesting: 'list' in t ? NestingMode.LIST : 'set' in t ? NestingMode.SET : NestingMode.MAP };
}

export function schemaAttribute(name: string, attr: Attribute): Record<string, unknown> {
  const nested = nestedObject(attr.type);
  const base = { name, description: description(attr), description_kind: StringKind.MARKDOWN, ...flags(attr) };
  if (nested) {
    return {
      ...base,
      nested_type: { attributes: Object.entries(nested.attrs).map(([n, a]) => schemaAttribute(n, a)), nesting: nested.nesting },
    };
  }
  return { ...base, type: Buffer.from(JSON.stringify(typeJson(ctyTypeOf(attr.type)))) };
}

export function resourceSchema(def: ResourceDef): Record<string, unknown> {
  const attributes = Object.entries(def.attributes).map(([n, a]) => schemaAttribute(n, a));
  if (hasTimeouts(def)) {
    attributes.push({
      name: TIMEOUTS_ATTRIBUTE,
      description: 'How long apply waits for the resource to become ready (Go duration strings such as `30s`, `20m`).',
      description_kind: StringKind.MARKDOWN,
      optional: true,
      nested_type: {
        nesting: NestingMode.SINGLE,
        attributes: TIMEOUT_OPERATIONS.map((o) => ({ name: o, type: Buffer.from('"string"'), optional: true, description: `Limit for ${o}.` })),
      },
    });
  }
  const wait = def.async?.waitArgument;
  if (wait) {
    attributes.push({
      name: wait.name,
      type: Buffer.from('"bool"'),
      optional: true,
      description: `${wait.description} Defaults to \`true\`.`,
      description_kind: StringKind.MARKDOWN,
    });
  }
  for (const v of writeOnlyVersions(def)) {
    attributes.push({
      name: v.version,
      type: Buffer.from('"number"'),
      optional: true,
      description: `Change this number to send a new value of \`${v.attribute}\` (Terraform does not compare write-only values).`,
      description_kind: StringKind.MARKDOWN,
    });
  }
  return {
    version: def.schemaVersion,
    block: { version: def.schemaVersion, attributes, description: def.description, description_kind: StringKind.MARKDOWN },
  };
}

/** The provider block: where the control plane is and how to authenticate. */
export const providerAttributes: Record<string, Attribute> = {
  endpoint: { type: 'string', mode: 'optional', format: 'uri', description: 'Base URL of the Claresia control plane. Also `CLARESIA_ENDPOINT`.' },
  token: { type: 'string', mode: 'optional', sensitive: true, description: 'Operator token or tenant JWT. Also `CLARESIA_TOKEN`.' },
  client_id: { type: 'string', mode: 'optional', description: 'Tenant service account client id, exchanged for a JWT. Also `CLARESIA_CLIENT_ID`.' },
  client_secret: { type: 'string', mode: 'optional', sensitive: true, description: 'Tenant service account client secret. Also `CLARESIA_CLIENT_SECRET`.' },
  request_timeout: { type: 'string', mode: 'optional', description: 'Timeout of one HTTP attempt as a duration (default `30s`).' },
  max_retries: { type: 'integer', mode: 'optional', minimum: 0, maximum: 20, description: 'Retries of a request on 429, 5xx and network failures (default 5).' },
};

export const providerType: CtyType = { object: Object.fromEntries(Object.entries(providerAttributes).map(([k, a]) => [k, ctyTypeOf(a.type)])) };

export function providerSchema(): Record<string, unknown> {
  return {
    version: 0,
    block: {
      attributes: Object.entries(providerAttributes).map(([n, a]) => schemaAttribute(n, a)),
      description: 'Manages Claresia tenants and their onboarding through the control-plane API.',
      description_kind: StringKind.MARKDOWN,
    },
  };
}
