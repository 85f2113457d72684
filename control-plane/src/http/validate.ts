import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { attributesOfRequestSchema, describeSchemaError, formatMessageOfPattern, formatProblemBeyondSchema, normalizeStrings, ruleViolations, type JsonSchema, type ResourceDef, type RuleInput } from '@claresia/catalog';
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
    const d = describeSchemaError(first, (path, child) => fieldPath(path, child) || 'body', formatMessageOfPattern, immutable);
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
