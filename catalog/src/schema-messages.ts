/**
 * One sentence per JSON Schema failure, for the API's 400s and Pulumi's Check alike, so a value
 * refused at preview reads as the API would refuse it. Works on ajv's error objects without
 * loading ajv. Never echoes the value: it may be a secret.
 */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown> | object;
  message?: string;
}

export interface SchemaProblem {
  field: string;
  message: string;
  code: 'missing_field' | 'unknown_field' | 'immutable_field' | 'invalid_value' | 'invalid_type';
}

/** Names a value: `path` is ajv's instancePath, `child` a property under it (required, unknown). */
export type FieldNamer = (path: string, child?: string) => string;

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

/** "1 item", "3 items". */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * `patternWords` names a format the catalog spells as a pattern (CIDR, https URL, PEM) instead of
 * showing the regex; `immutable` lists fields an update may not carry.
 */
export function describeSchemaError(e: SchemaError, name: FieldNamer, patternWords: (pattern: string) => string | undefined, immutable: readonly string[] = []): SchemaProblem {
  const p = e.params as Record<string, unknown>;
  const field = name(e.instancePath);
  const invalid = (message: string): SchemaProblem => ({ field, message: `${field} ${message}`, code: 'invalid_value' });
  switch (e.keyword) {
    case 'required': {
      const child = name(e.instancePath, String(p.missingProperty));
      return { field: child, message: `${child} is required`, code: 'missing_field' };
    }
    case 'additionalProperties': {
      const child = name(e.instancePath, String(p.additionalProperty));
      if (!e.instancePath && immutable.includes(String(p.additionalProperty))) return { field: child, message: `${child} cannot be changed after creation`, code: 'immutable_field' };
      return { field: child, message: `${child} is not a known field`, code: 'unknown_field' };
    }
    case 'enum':
      return invalid(`must be one of: ${(p.allowedValues as unknown[]).join(', ')}`);
    case 'format':
      return invalid(`must be a valid ${String(p.format)}`);
    case 'pattern':
      return invalid(patternWords(String(p.pattern)) ?? `does not match the required pattern ${String(p.pattern)}`);
    case 'type': {
      const types = String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t);
      return { field, message: `${field} must be ${types.join(' or ')}`, code: 'invalid_type' };
    }
    case 'uniqueItems': {
      // The later copy is named (the one to remove); ajv's i and j come in either order.
      const later = Math.max(Number(p.i), Number(p.j));
      const earlier = Math.min(Number(p.i), Number(p.j));
      const copy = name(`${e.instancePath}/${later}`);
      return { field: copy, message: `${copy} duplicates ${name(`${e.instancePath}/${earlier}`)}; list each value once`, code: 'invalid_value' };
    }
    case 'minItems':
    case 'maxItems':
      return invalid(`must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${counted(Number(p.limit), 'item')}`);
    case 'items':
      // A list with a fixed number of entries, and more given.
      return invalid(`must have at most ${counted(Number(p.limit), 'item')}`);
    case 'minLength':
    case 'maxLength': {
      const n = Number(p.limit);
      if (e.keyword === 'minLength' && n === 1) return invalid('must not be empty');
      return invalid(`must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${counted(n, 'character')} long`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return invalid(`must be ${COMPARISON_WORDS[String(p.comparison)] ?? String(p.comparison)} ${String(p.limit)}`);
    case 'const':
      return invalid(`must be ${JSON.stringify(p.allowedValue)}`);
    case 'minProperties':
    case 'maxProperties':
      return invalid(`must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${counted(Number(p.limit), 'field')}`);
    case 'false schema':
      // A place where the schema allows nothing: an entry past the end of a fixed list, a field that must be absent.
      return invalid('is not allowed here');
    default:
      return invalid(e.message ?? 'is invalid');
  }
}
