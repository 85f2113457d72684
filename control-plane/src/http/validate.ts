import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { attributesOfRequestSchema, formatMessageOfPattern, normalizeStrings, ruleViolations, type JsonSchema, type ResourceDef, type RuleInput } from '@claresia/catalog';
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

/** A message that names the rule but never echoes the value (it may be a secret). */
function describe(e: ErrorObject, immutable: readonly string[]): { field: string; message: string; code: string } {
  const p = e.params as Record<string, unknown>;
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
      const field = fieldPath(e.instancePath) || 'body';
      return { field, message: `${field} must be one of: ${(p.allowedValues as unknown[]).join(', ')}`, code: 'invalid_value' };
    }
    case 'format': {
      const field = fieldPath(e.instancePath) || 'body';
      return { field, message: `${field} must be a valid ${String(p.format)}`, code: 'invalid_value' };
    }
    case 'pattern': {
      const field = fieldPath(e.instancePath) || 'body';
      // A format the catalog spells as a pattern (CIDR, https URL, PEM) is named, not shown as a regex.
      const words = formatMessageOfPattern(String(p.pattern));
      if (words) return { field, message: `${field} ${words}`, code: 'invalid_value' };
      return { field, message: `${field} does not match the required pattern ${String(p.pattern)}`, code: 'invalid_value' };
    }
    case 'type': {
      const field = fieldPath(e.instancePath) || 'body';
      return { field, message: `${field} must be ${String(p.type)}`, code: 'invalid_type' };
    }
    default: {
      const field = fieldPath(e.instancePath) || 'body';
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
  if (!fn(attrs ? normalizeStrings(attrs, body as Record<string, unknown>) : body)) {
    // anyOf (nullable) wraps the real error; report the most specific one.
    const errs = (fn.errors ?? []).filter((e) => e.keyword !== 'anyOf');
    const first = errs.find((e) => e.keyword !== 'type' || errs.length === 1) ?? errs[0] ?? fn.errors![0]!;
    const d = describe(first, immutable);
    throw badRequest(d.message, d.field, d.code);
  }
  return body as T;
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
