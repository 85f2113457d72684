/**
 * Plan-time checks of configured values against the catalog's constraints, so that a bad
 * value fails `terraform validate`/`plan` with the attribute's path instead of a 400 at apply.
 * Unknown values are skipped: they are checked when they become known.
 */
import { FORMAT_MESSAGES, formatPattern, formatProblemBeyondSchema, normalizeValue, ruleViolations, type Attribute, type AttrType, type ResourceDef, type RuleViolation } from '@claresia/catalog';
import { UNKNOWN, type ObjectValue, type Value } from './values/cty.js';
import { error, type Diagnostic, type PathStep } from './diagnostics.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function formatProblem(format: NonNullable<Attribute['format']>, v: string): string | undefined {
  switch (format) {
    case 'email':
      return EMAIL.test(v) ? undefined : FORMAT_MESSAGES['email'];
    case 'uri':
    case 'https-uri': {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return FORMAT_MESSAGES.uri;
      }
      return format === 'https-uri' && u.protocol !== 'https:' ? FORMAT_MESSAGES['https-uri'] : undefined;
    }
    case 'outbound-url':
      return formatProblemBeyondSchema(format, v);
    case 'date-time':
      return Number.isNaN(Date.parse(v)) ? FORMAT_MESSAGES['date-time'] : undefined;
    case 'uuid':
      return UUID.test(v) ? undefined : FORMAT_MESSAGES['uuid'];
    case 'cidr':
    case 'pem-ca-bundle':
    case 'pem-certificate':
      // The API's pattern first (its words for a value that is no CIDR or PEM at all), then what
      // it checks beyond a pattern: host bits zero, a real address; CA certificates only, at most 4
      // signing certificates (dates are the API's to judge).
      return formatPattern(format)!.test(v) ? formatProblemBeyondSchema(format, v) : FORMAT_MESSAGES[format];
    case 'skill-id':
    case 'rbac-group':
      // The API's own pattern for the format, so plan and apply cannot disagree.
      return formatPattern(format)!.test(v) ? undefined : FORMAT_MESSAGES[format];
  }
}

// Every validate call of every resource checks its patterns: compile each once.
const patterns = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern)));
  return re;
}

/**
 * A whole number beyond 2^53 - 1 reaches the provider rounded (numbers are doubles here), so
 * the plan could not hand Terraform back the configured value: refuse it, in words.
 */
export function unsafeNumberProblem(v: number): string | undefined {
  if (!Number.isInteger(v) || Number.isSafeInteger(v)) return undefined;
  return `must be between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}: larger whole numbers cannot be carried exactly`;
}

/** How much of a value a message quotes: enough to find it in a list, not a whole certificate. */
const QUOTE_LIMIT = 100;

/** The value as a message may show it, or undefined for a secret one (sensitive, write-only, shown once). */
function quoted(attr: Attribute, v: string | number): string | undefined {
  if (attr.sensitive || attr.writeOnly || attr.returnedOnce) return undefined;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v.length > QUOTE_LIMIT ? `${v.slice(0, QUOTE_LIMIT)}…` : v);
}

const characters = (n: number) => `${n} character${n === 1 ? '' : 's'}`;

/** Too short, in words: a value the API trims to nothing is named as such, not by its length. */
function tooShort(min: number, configured: string, checked: string): string {
  if (checked === '' && configured !== '') return 'must not be empty or only spaces';
  return min === 1 ? 'must not be empty' : `must be at least ${characters(min)} long`;
}

/** The attribute path as written in configuration: `triggers["a"]`, `skills[1]`, `a.b`. */
function written(path: PathStep[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : typeof p === 'object' ? `[${JSON.stringify(p.key)}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * `element`: v is an entry of a list, set or map. Terraform cannot point a diagnostic into a set
 * (its path stops at the attribute, so the whole set is highlighted), so the message names the
 * offending entry of a list or set by its value, as configured. A map entry is named by its key
 * (`triggers["a"]`): the key is what the user finds it by, while the value is what is wrong and
 * may be long. A secret one is never shown, neither value nor key.
 */
function checkValue(attr: Attribute, type: AttrType, v: Value, path: PathStep[], out: Diagnostic[], element = false) {
  if (v === null || v === UNKNOWN) return;
  const shown = typeof v === 'string' || typeof v === 'number' ? quoted(attr, v) : undefined;
  const key = element && typeof path[path.length - 1] === 'object' && shown !== undefined;
  const subject = key ? `The value of ${written(path)}` : element && shown !== undefined ? `The element ${shown}` : 'The value';
  const bad = (what: string) => out.push(error(`Invalid value for ${path.filter((p) => typeof p === 'string').join('.')}`, `${subject} ${what}.`, path));
  if (typeof type === 'string') {
    const configured = v;
    // Checked as the API will store it, as the API checks it: trimmed, lowercased where the catalog says.
    if (typeof v === 'string' && (attr.normalize === 'trim' || attr.normalize === 'lowercase')) v = normalizeValue(attr, v) as string;
    if (typeof v === 'string') {
      const got = element || shown === undefined ? '' : `; got ${shown}`;
      if (attr.enum && !attr.enum.includes(v)) bad(`must be one of ${attr.enum.map((e) => JSON.stringify(e)).join(', ')}${got}`);
      if (attr.pattern && !compiled(attr.pattern).test(v)) bad(`must match ${attr.pattern}`);
      if (attr.minLength !== undefined && v.length < attr.minLength) bad(tooShort(attr.minLength, configured as string, v));
      if (attr.maxLength !== undefined && v.length > attr.maxLength) bad(`must be at most ${characters(attr.maxLength)} long`);
      if (attr.format) {
        const p = formatProblem(attr.format, v);
        if (p) bad(p);
      }
    } else if (typeof v === 'number') {
      const beyond = unsafeNumberProblem(v);
      if (beyond) bad(beyond);
      if (type === 'integer' && !Number.isInteger(v)) bad('must be a whole number');
      if (attr.minimum !== undefined && v < attr.minimum) bad(`must be at least ${attr.minimum}`);
      if (attr.maximum !== undefined && v > attr.maximum) bad(`must be at most ${attr.maximum}`);
    }
    return;
  }
  if ('list' in type || 'set' in type) {
    const items = v as Value[];
    if (attr.minItems !== undefined && items.length < attr.minItems) bad(`must have at least ${attr.minItems} element${attr.minItems === 1 ? '' : 's'}`);
    if (attr.maxItems !== undefined && items.length > attr.maxItems) bad(`must have at most ${attr.maxItems} elements`);
    const inner = 'list' in type ? type.list : type.set;
    // Element constraints (enum, pattern, format) are declared on the collection attribute.
    items.forEach((item, i) => checkValue(attr, inner, item, 'list' in type ? [...path, i] : path, out, true));
    return;
  }
  if ('map' in type) {
    if (attr.minItems !== undefined && Object.keys(v as ObjectValue).length < attr.minItems) bad(`must have at least ${attr.minItems} entr${attr.minItems === 1 ? 'y' : 'ies'}`);
    if (attr.maxItems !== undefined && Object.keys(v as ObjectValue).length > attr.maxItems) bad(`must have at most ${attr.maxItems} entries`);
    for (const [k, item] of Object.entries(v as ObjectValue)) checkValue(attr, type.map, item, [...path, { key: k }], out, true);
    return;
  }
  checkObject(type.object, v as ObjectValue, path, out);
}

export function checkObject(attrs: Record<string, Attribute>, value: ObjectValue, path: PathStep[], out: Diagnostic[]) {
  for (const [name, attr] of Object.entries(attrs)) {
    const v = value[name] ?? null;
    const p = [...path, name];
    if (attr.mode === 'computed') continue;
    if (attr.mode === 'required' && v === null) {
      out.push(error(`Missing required argument ${name}`, `The argument "${name}" is required.`, p));
      continue;
    }
    checkValue(attr, attr.type, v, p, out);
  }
}

/** Diagnostics for one resource's configuration (its top-level object). */
export function validateConfig(attrs: Record<string, Attribute>, config: ObjectValue): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkObject(attrs, config, [], out);
  return out;
}

/**
 * The catalog's rules over several attributes (region required in Mode B, OIDC fields refused
 * for SAML), each failure at the offending attribute's line. A rule reading a value not known
 * yet reports nothing: Terraform validates again once it is known, and the API checks the rest.
 */
export function ruleDiagnostics(def: Pick<ResourceDef, 'attributes' | 'rules'>, config: ObjectValue, opts: { given?: ObjectValue; only?: (v: RuleViolation) => boolean } = {}): Diagnostic[] {
  return ruleViolations(def, { values: config, isUnknown: (v) => v === UNKNOWN, ...(opts.given ? { given: opts.given } : {}) })
    .filter(opts.only ?? (() => true))
    .map((v) => error(v.kind === 'required_when' ? `Missing required argument ${v.attribute}` : `Invalid combination of arguments: ${v.attribute}`, `${v.message}.`, [v.attribute]));
}

/**
 * A conflict over a value the API also reports (optional and computed: a SAML setting read from
 * metadata). Terraform writes such values into generated configuration, so the configuration
 * can hold the value the API derived; only plan, which sees the prior state, can tell that from
 * a value of the user's own.
 */
export function conflictOverReadBack(def: Pick<ResourceDef, 'attributes'>, v: RuleViolation): boolean {
  return v.kind === 'conflicts_with' && def.attributes[v.attribute]?.mode === 'optional_computed';
}
