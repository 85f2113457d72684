import type { Attribute, AttrType, ResourceDef } from './types.js';
import { SKILL_ID_PATTERN } from './resources/skill_entitlement.js';
import { RBAC_GROUP_PATTERN } from './resources/group_mapping.js';

/** A JSON Schema (draft 2020-12) object; kept loose so it can be handed to ajv or OpenAPI. */
export type JsonSchema = Record<string, unknown>;

const FORMAT_PATTERNS: Partial<Record<NonNullable<Attribute['format']>, JsonSchema>> = {
  'https-uri': { format: 'uri', pattern: '^https://' },
  cidr: {
    pattern:
      '^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)/(?:3[0-2]|[12]?\\d)$|^[0-9a-fA-F:]+/(?:12[0-8]|1[01]\\d|\\d?\\d)$',
  },
  'pem-certificate': { pattern: '-----BEGIN CERTIFICATE-----' },
  // Its own pattern, so that a failed pattern is reported in this format's words.
  'pem-ca-bundle': { pattern: '-----BEGIN CERTIFICATE-----[\\s\\S]*-----END CERTIFICATE-----' },
  'skill-id': { pattern: SKILL_ID_PATTERN },
  'rbac-group': { pattern: RBAC_GROUP_PATTERN },
  // The API judges the scheme with the address (outbound-url.ts): its schema asks for a URL only.
  'outbound-url': { format: 'uri' },
};

/** What a value of each format must be, in the words every client reports it with. */
export const FORMAT_MESSAGES: Record<NonNullable<Attribute['format']>, string> = {
  email: 'must be an email address',
  uri: 'must be an absolute URL',
  'https-uri': 'must be an https:// URL',
  'date-time': 'must be an RFC 3339 date-time',
  uuid: 'must be a UUID',
  cidr: 'must be a CIDR block such as 203.0.113.0/24',
  'pem-certificate': 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)',
  'pem-ca-bundle': 'must be PEM CA certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)',
  'skill-id': 'must be a skill id such as claresia.exec.web-research (claresia.<pack>.<skill>)',
  'rbac-group': 'must be an RBAC group: claresia- and a name, such as claresia-data-pilot',
  'outbound-url': 'must be an https:// URL (http:// only to a loopback or private address, which a development control plane accepts)',
};

const formatRegExps = new Map<string, RegExp>();

/** The pattern the API checks a format with (CIDR, PEM, ...), for clients that check it without JSON Schema. */
export function formatPattern(format: NonNullable<Attribute['format']>): RegExp | undefined {
  const source = FORMAT_PATTERNS[format]?.pattern as string | undefined;
  if (source === undefined) return undefined;
  let re = formatRegExps.get(source);
  if (!re) formatRegExps.set(source, (re = new RegExp(source)));
  return re;
}

/**
 * What a value failing this JSON Schema pattern must be, when the pattern is a format's (CIDR,
 * https URL, PEM): a failed format is reported in its words, not as a regex.
 */
export function formatMessageOfPattern(pattern: string): string | undefined {
  for (const [format, s] of Object.entries(FORMAT_PATTERNS)) if (s?.pattern === pattern) return FORMAT_MESSAGES[format as NonNullable<Attribute['format']>];
  return undefined;
}

/** Rules about one value: on a collection they apply to its elements, as the provider applies them. */
function scalarRules(attr: Attribute, s: JsonSchema): JsonSchema {
  if (attr.enum) s.enum = [...attr.enum];
  if (attr.pattern) s.pattern = attr.pattern;
  if (attr.format) Object.assign(s, FORMAT_PATTERNS[attr.format] ?? { format: attr.format });
  if (attr.minLength !== undefined) s.minLength = attr.minLength;
  if (attr.maxLength !== undefined) s.maxLength = attr.maxLength;
  if (attr.minimum !== undefined) s.minimum = attr.minimum;
  if (attr.maximum !== undefined) s.maximum = attr.maximum;
  return s;
}

function elementSchema(attr: Attribute, type: AttrType, forInput: boolean): JsonSchema {
  if (typeof type === 'string') return scalarRules(attr, { type });
  if ('list' in type) return { type: 'array', items: elementSchema(attr, type.list, forInput) };
  if ('set' in type) return { type: 'array', uniqueItems: true, items: elementSchema(attr, type.set, forInput) };
  if ('map' in type) return { type: 'object', additionalProperties: elementSchema(attr, type.map, forInput) };
  return objectSchema(type.object, forInput ? 'create' : 'response');
}

export function attributeSchema(attr: Attribute, purpose: 'create' | 'update' | 'response'): JsonSchema {
  const s: JsonSchema = { ...elementSchema(attr, attr.type, purpose !== 'response'), description: attr.description };
  const isMap = typeof attr.type === 'object' && 'map' in attr.type;
  if (attr.minItems !== undefined) s[isMap ? 'minProperties' : 'minItems'] = attr.minItems;
  if (attr.maxItems !== undefined) s[isMap ? 'maxProperties' : 'maxItems'] = attr.maxItems;
  if (attr.default !== undefined && purpose === 'response') s.default = attr.default;
  if (attr.writeOnly) s.writeOnly = true;
  // Optional values can be cleared with null on update and come back as null.
  if (attr.mode !== 'required' && purpose !== 'create') return { anyOf: [s, { type: 'null' }], description: attr.description };
  return s;
}

function isInput(attr: Attribute): boolean {
  return attr.mode !== 'computed';
}

function objectSchema(attrs: Record<string, Attribute>, purpose: 'create' | 'update' | 'response'): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, attr] of Object.entries(attrs)) {
    if (purpose === 'response') {
      if (attr.writeOnly) continue;
    } else {
      if (!isInput(attr)) continue;
      if (purpose === 'update' && attr.forceNew) continue;
      if (purpose === 'create' && attr.mode === 'required') required.push(name);
    }
    properties[name] = attributeSchema(attr, purpose);
  }
  const s: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length) s.required = required;
  return s;
}

const requestAttributes = new WeakMap<JsonSchema, Record<string, Attribute>>();

/**
 * The attributes a request schema was derived from, so a validator can check the value the
 * API will store (see normalizeStrings) rather than the value as sent.
 */
export function attributesOfRequestSchema(schema: JsonSchema): Record<string, Attribute> | undefined {
  return requestAttributes.get(schema);
}

function requestSchema(attrs: Record<string, Attribute>, purpose: 'create' | 'update'): JsonSchema {
  const s = objectSchema(attrs, purpose);
  requestAttributes.set(s, attrs);
  return s;
}

/** The body of a create request. */
export function createSchema(res: Pick<ResourceDef, 'attributes'>): JsonSchema {
  return requestSchema(res.attributes, 'create');
}

/** The body of an update (PATCH) request: every updatable input, all optional. */
export function updateSchema(res: Pick<ResourceDef, 'attributes'>): JsonSchema {
  return requestSchema(res.attributes, 'update');
}

/** What the API returns: everything except write-only attributes. */
export function responseSchema(res: Pick<ResourceDef, 'attributes'>): JsonSchema {
  return objectSchema(res.attributes, 'response');
}

/** Names of attributes that cannot change after creation. */
export function immutableAttributes(res: Pick<ResourceDef, 'attributes'>): string[] {
  return Object.entries(res.attributes)
    .filter(([, a]) => a.forceNew && a.mode !== 'computed')
    .map(([n]) => n);
}
