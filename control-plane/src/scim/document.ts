import { invalidSyntax, invalidValue } from './errors.js';
import { commonAttributes, extensionOf, findAttr, type ResourceTypeDef, type ScimAttr } from './schema.js';

/** A resource as stored: canonical attribute names, extension attributes under their URN. */
export type ScimDoc = Record<string, unknown>;

const MAX_STRING = 2048;
const MAX_VALUES = 100;

let zones: Set<string> | undefined;
function isTimeZone(tz: string): boolean {
  zones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zones.has(tz) || tz === 'UTC' || tz === 'Etc/UTC') return true;
  // Links such as Asia/Calcutta are valid IANA names that supportedValuesOf leaves out.
  if (!/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+){0,2}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** Accept-Language syntax (RFC 7231 §5.3.5): `en-US` or `en-US, fr;q=0.5`. */
function isLanguageList(v: string): boolean {
  return v.split(',').every((part) => {
    const m = /^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?\s*$/.exec(part);
    return !!m && (m[1] === '*' || isLanguageTag(m[1]!));
  });
}

/** A SCIM boolean, also as IdPs send them (Entra writes "True" and "False"); undefined when it is none. */
export function readBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return undefined;
}

export function toBoolean(v: unknown, where: string): boolean {
  const b = readBoolean(v);
  if (b === undefined) throw invalidValue(`${where} must be a boolean (true or false)`);
  return b;
}

function cleanString(attr: ScimAttr, v: unknown, where: string): string | undefined {
  if (typeof v !== 'string') throw invalidValue(`${where} must be a string`);
  if (v.length > MAX_STRING) throw invalidValue(`${where} is longer than ${MAX_STRING} characters`);
  // PostgreSQL text and jsonb cannot hold NUL.
  if (v.includes('\u0000')) throw invalidValue(`${where} contains a NUL character`);
  if (v === '') return undefined;
  if (attr.check === 'timezone' && !isTimeZone(v)) throw invalidValue(`${where} must be an IANA time zone such as "Europe/Paris", not "${v.slice(0, 100)}"`);
  if (attr.check === 'language' && !isLanguageTag(v)) throw invalidValue(`${where} must be a language tag such as "en-US"`);
  if (attr.check === 'languages' && !isLanguageList(v)) throw invalidValue(`${where} must be a language tag such as "en-US" (or an Accept-Language list)`);
  if (attr.check === 'email' && !/^[^\s@]+@[^\s@]+$/.test(v)) throw invalidValue(`${where} must be an email address`);
  return v;
}

function cleanSingle(attr: ScimAttr, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return undefined;
  switch (attr.type) {
    case 'boolean':
      return toBoolean(v, where);
    case 'complex':
      // `"manager": "id"` as Entra ID sends it, and members given as bare ids.
      if (typeof v === 'string' && attr.subAttributes?.some((a) => a.name === 'value')) return cleanComplex(attr, { value: v }, where);
      return cleanComplex(attr, v, where);
    default:
      return cleanString(attr, v, where);
  }
}

function cleanComplex(attr: ScimAttr, v: unknown, where: string): Record<string, unknown> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidValue(`${where} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const sub = findAttr(attr.subAttributes ?? [], k);
    // Read-only sub-attributes (a member's display, a manager's displayName) are ours to compute.
    if (!sub || sub.mutability === 'readOnly') continue;
    const c = cleanSingle(sub, x, `${where}.${sub.name}`);
    if (c !== undefined) out[sub.name] = c;
  }
  return Object.keys(out).length ? out : undefined;
}

export function cleanValue(attr: ScimAttr, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (!attr.multiValued) return cleanSingle(attr, v, where);
  if (!Array.isArray(v)) throw invalidValue(`${where} must be an array`);
  if (!attr.unbounded && v.length > MAX_VALUES) throw invalidValue(`${where} has more than ${MAX_VALUES} values`);
  const out: unknown[] = [];
  // A set rather than a scan of `out`: a group of thousands of members would cost millions of comparisons.
  const seen = new Set<string>();
  v.forEach((x, i) => {
    const c = cleanSingle(attr, x, `${where}[${i}]`);
    if (c === undefined) return;
    const key = JSON.stringify(c);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(c);
  });
  if (attr.type === 'complex' && out.filter((o) => (o as { primary?: boolean }).primary === true).length > 1) {
    throw invalidValue(`${where}: at most one value may be primary`);
  }
  return out.length ? out : undefined;
}

function checkSchemas(type: ResourceTypeDef, schemas: unknown): void {
  if (schemas === undefined) return;
  if (!Array.isArray(schemas) || schemas.some((s) => typeof s !== 'string')) throw invalidSyntax('schemas must be an array of schema URNs');
  for (const s of schemas as string[]) {
    if (s.toLowerCase() !== type.core.id.toLowerCase() && !extensionOf(type, s)) throw invalidSyntax(`schemas: "${s.slice(0, 200)}" is not a schema of ${type.kind}`);
  }
  if (!(schemas as string[]).some((s) => s.toLowerCase() === type.core.id.toLowerCase())) throw invalidSyntax(`schemas must include ${type.core.id}`);
}

/**
 * Validates a POST or PUT body (or a document after PATCH) and returns it in canonical form.
 * Read-only attributes (id, meta, groups) are ignored as RFC 7644 §3.3 says; password is
 * dropped (this server never stores one); unknown attributes are ignored; unknown schema URNs
 * are refused. Every problem names the attribute.
 */
export function cleanDocument(type: ResourceTypeDef, body: unknown): ScimDoc {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidSyntax('the body must be a JSON object');
  const doc: ScimDoc = {};
  for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
    if (key.toLowerCase() === 'schemas') {
      checkSchemas(type, v);
      continue;
    }
    if (/^urn:/i.test(key)) {
      const ext = extensionOf(type, key);
      if (!ext) throw invalidSyntax(`"${key.slice(0, 200)}" is not a schema of ${type.kind}`);
      if (v === null || v === undefined) continue;
      const inner = cleanComplex({ ...commonAttributes[0]!, name: ext.id, type: 'complex', subAttributes: ext.attributes }, v, ext.name);
      if (inner) doc[ext.id] = inner;
      continue;
    }
    const attr = findAttr(type.core.attributes, key) ?? findAttr(commonAttributes, key);
    if (!attr || attr.mutability === 'readOnly' || attr.mutability === 'writeOnly') continue;
    const c = cleanValue(attr, v, attr.name);
    if (c !== undefined) doc[attr.name] = c;
  }
  for (const a of type.core.attributes) {
    if (a.required && doc[a.name] === undefined) throw invalidValue(`${a.name} is required`);
  }
  return doc;
}
