import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { attributesOfRequestSchema, formatMessageOfPattern, formatProblemBeyondSchema, normalizeStrings, ruleViolations, type JsonSchema, type ResourceDef, type RuleInput } from '@claresia/catalog';
import { badRequest } from './errors.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

const ajv = new Ajv2020({ allErrors: false, strict: false });
addFormats(ajv);

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** `/members/0/value` becomes `members[0].value`: the way users name a field. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** ajv's type names as a sentence says them. */
const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

const COMPARISON_WORDS: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'greater than', '<': 'less than' };

/** A message that names the rule but never echoes the value (it may be a secret). */
/** "1 item", "3 items". */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function describe(e: ErrorObject, immutable: readonly string[]): { field: string; message: string; code: string } {
  const p = e.params as Record<string, unknown>;
  // The value's own path (the body itself at the top); required and additionalProperties name a child instead.
  const here = fieldPath(e.instancePath) || 'body';
  switch (e.keyword) {
    case 'required': {
      const field = fieldPath(e.instancePath, String(p.missingProperty));
      return { field, message: `${field} is required`, code: 'missing_field' };
    }
    case 'additionalProperties': {
      const field = fieldPath(e.instancePath, String(p.additionalProperty));
      if (!e.instancePath && immutable.includes(String(p.additionalProperty)))
        return { field, message: `${field} cannot be changed after creation`, code: 'immutable_field' };
      return { field, message: `${field} is not a known field`, code: 'unknown_field' };
    }
    case 'enum': {
      const field = here;
      return { field, message: `${field} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`, code: 'invalid_value' };
    }
    case 'format': {
      const field = here;
      return { field, message: `${field} must be a valid ${String(p.format)}`, code: 'invalid_value' };
    }
    case 'pattern': {
      const field = here;
      // A format the catalog spells as a pattern (CIDR, https URL, PEM) is named, not shown as a regex.
      const words = formatMessageOfPattern(String(p.pattern));
      if (words) return { field, message: `${field} ${words}`, code: 'invalid_value' };
      return { field, message: `${field} does not match the required pattern ${String(p.pattern)}`, code: 'invalid_value' };
    }
    case 'type': {
      const field = here;
      const types = String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t);
      return { field, message: `${field} must be ${types.join(' or ')}`, code: 'invalid_type' };
    }
    case 'uniqueItems': {
      // The later copy is named (the one to remove); ajv's i and j come in either order.
      const list = here;
      const later = Math.max(Number(p.i), Number(p.j));
      const earlier = Math.min(Number(p.i), Number(p.j));
      return { field: `${list}[${later}]`, message: `${list}[${later}] duplicates ${list}[${earlier}]; list each value once`, code: 'invalid_value' };
    }
    case 'minItems':
    case 'maxItems': {
      const field = here;
      const n = Number(p.limit);
      const bound = e.keyword === 'minItems' ? 'at least' : 'at most';
      return { field, message: `${field} must have ${bound} ${counted(n, 'item')}`, code: 'invalid_value' };
    }
    case 'items': {
      // A list with a fixed number of entries, and more given.
      const field = here;
      const n = Number(p.limit);
      return { field, message: `${field} must have at most ${counted(n, 'item')}`, code: 'invalid_value' };
    }
    case 'minLength':
    case 'maxLength': {
      const field = here;
      const n = Number(p.limit);
      if (e.keyword === 'minLength' && n === 1) return { field, message: `${field} must not be empty`, code: 'invalid_value' };
      const bound = e.keyword === 'minLength' ? 'at least' : 'at most';
      return { field, message: `${field} must be ${bound} ${counted(n, 'character')} long`, code: 'invalid_value' };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const field = here;
      return { field, message: `${field} must be ${COMPARISON_WORDS[String(p.comparison)] ?? String(p.comparison)} ${String(p.limit)}`, code: 'invalid_value' };
    }
    case 'const': {
      const field = here;
      return { field, message: `${field} must be ${JSON.stringify(p.allowedValue)}`, code: 'invalid_value' };
    }
    case 'minProperties':
    case 'maxProperties': {
      const field = here;
      const n = Number(p.limit);
      const bound = e.keyword === 'minProperties' ? 'at least' : 'at most';
      return { field, message: `${field} must have ${bound} ${counted(n, 'field')}`, code: 'invalid_value' };
    }
    case 'false schema': {
      // A place where the schema allows nothing: an entry past the end of a fixed list, a field that must be absent.
      const field = here;
      return { field, message: `${field} is not allowed here`, code: 'invalid_value' };
    }
    default: {
      const field = here;
      return { field, message: `${field} ${e.message ?? 'is invalid'}`, code: 'invalid_value' };
    }
  }
}

/**
 * Validates a request body against a schema derived from the catalog; throws a 400 naming
 * the first offending field. Every rule is checked before any write.
 */
export function validateBody<T = Record<string, unknown>>(schema: JsonSchema, body: unknown, immutable: readonly string[] = []): T {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object', 'body', 'invalid_json');
  }
  // A catalog body is checked as it will be stored (trimmed, lowercased where the catalog says).
  const attrs = attributesOfRequestSchema(schema);
  const checked = attrs ? normalizeStrings(attrs, body as Record<string, unknown>) : body;
  if (!fn(checked)) {
    // anyOf (nullable) wraps the real error; report the most specific one.
    const errs = (fn.errors ?? []).filter((e) => e.keyword !== 'anyOf');
    const first = errs.find((e) => e.keyword !== 'type' || errs.length === 1) ?? errs[0] ?? fn.errors![0]!;
    const d = describe(first, immutable);
    throw badRequest(d.message, d.field, d.code);
  }
  if (attrs) refuseBeyondSchema(attrs, checked as Record<string, unknown>);
  return body as T;
}

/**
 * A CIDR's host bits, checked on the body as sent: the module stores the set sorted, and an index
 * into the sorted list would point the caller at the wrong entry. (The other formats checked
 * beyond their pattern depend on the control plane's settings, and their modules check them.)
 */
function refuseBeyondSchema(attrs: NonNullable<ReturnType<typeof attributesOfRequestSchema>>, body: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(body)) {
    const format = attrs[name]?.format;
    if (format !== 'cidr' || value === null || value === undefined) continue;
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`${name}[${i}]`, v]) : [[name, value]];
    for (const [field, v] of entries) {
      const problem = typeof v === 'string' ? formatProblemBeyondSchema(format, v) : undefined;
      if (problem) throw badRequest(`${field} ${problem}`, field, 'invalid_value');
    }
  }
}

/**
 * The catalog's rules over several attributes (a field required in one mode, refused with
 * another): throws a 400 naming the first offending field. The IaC tools check the same
 * rules at plan, so a request that reaches this point from them has already passed.
 */
export function enforceRules(def: Pick<ResourceDef, 'attributes' | 'rules'>, values: RuleInput['values'], given?: RuleInput['given']): void {
  const first = ruleViolations(def, { values, given })[0];
  if (first) throw badRequest(first.message, first.attribute, first.kind === 'required_when' ? 'missing_field' : 'invalid_combination');
}
