/**
 * Check: configured values against the catalog's constraints, before anything is planned, so
 * a bad value fails the preview naming the Pulumi property instead of failing at the API.
 * The rules are the API's own (the catalog's request JSON Schema, checked by ajv); unknown
 * values are skipped until they are known. Messages never repeat the value: it may be a secret.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { attributeSchema, describeSchemaError, formatMessageOfPattern, formatProblemBeyondSchema, normalizeValue, ruleViolations, waitArgumentAttribute, type Attribute, type JsonSchema, type ResourceDef } from '@claresia/catalog';
import { camel, isInput, isSecret } from '../names.js';
import { hasUnknown, reveal, secret, UNKNOWN, type Props } from './values.js';
import { toApiValue } from './convert.js';

type Compile = (schema: JsonSchema) => ValidateFunction;
let compiler: Promise<Compile> | undefined;

/** ajv loads on the first Check, not at plugin start: the engine waits for the port. */
function loadCompiler(): Promise<Compile> {
  compiler ??= (async () => {
    const [{ Ajv2020 }, formats] = await Promise.all([import('ajv/dist/2020.js'), import('ajv-formats')]);
    // ajv-formats is CommonJS with a default export.
    const addFormats = formats.default as unknown as (a: InstanceType<typeof Ajv2020>) => void;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    return (schema) => ajv.compile(schema);
  })();
  return compiler;
}

export interface Failure {
  property: string;
  reason: string;
}

const compiled = new WeakMap<Attribute, ValidateFunction>();

const ELEMENT_RULES = ['enum', 'pattern', 'format', 'minLength', 'maxLength'] as const;

/**
 * The catalog's request schema for one attribute. A collection's element rules (a skill id
 * pattern, a CIDR format) are declared on the attribute, where JSON Schema ignores them for
 * an array; they belong on its items, as the Terraform provider applies them.
 */
function inputSchema(attr: Attribute): JsonSchema {
  const s = { ...attributeSchema(attr, 'create') };
  const t = attr.type;
  if (typeof t === 'object' && ('list' in t || 'set' in t) && typeof s.items === 'object') {
    const items = { ...(s.items as JsonSchema) };
    for (const k of ELEMENT_RULES) {
      if (k in s) {
        items[k] = s[k];
        delete s[k];
      }
    }
    s.items = items;
  }
  return s;
}

async function validator(attr: Attribute): Promise<ValidateFunction> {
  let fn = compiled.get(attr);
  if (!fn) {
    fn = (await loadCompiler())(inputSchema(attr));
    compiled.set(attr, fn);
  }
  return fn;
}

/** `/0/name` under property `rules` becomes `rules[0].name`. */
function propertyPath(prop: string, instancePath: string): string {
  let out = prop;
  for (const part of instancePath.split('/').filter(Boolean)) out += /^\d+$/.test(part) ? `[${part}]` : `.${camel(part)}`;
  return out;
}

/**
 * The value the API checks and stores: trimmed or lowercased where the catalog says (a name of
 * spaces alone is empty, a spaced mixed-case email is valid), as the API and the Terraform
 * provider check it. Sets are checked as sent: the API refuses duplicates rather than merging them.
 */
function storedForm(attr: Attribute, v: unknown): unknown {
  return attr.normalize === 'trim' || attr.normalize === 'lowercase' ? normalizeValue(attr, v) : v;
}

/**
 * The checked inputs the engine records in state: every value the catalog calls secret wrapped
 * as one, so a program that passed it as a plain string (YAML, a value read from a file) does
 * not leave it in clear in the checkpoint.
 */
export function secretInputs(def: ResourceDef, news: Props): Props {
  const out: Props = { ...news };
  for (const [name, attr] of Object.entries(def.attributes)) {
    const prop = camel(name);
    if (isInput(attr) && isSecret(attr) && out[prop] !== undefined && out[prop] !== null) out[prop] = secret(out[prop]);
  }
  return out;
}

/** Failures for one resource's inputs, each naming the Pulumi property. */
export async function checkInputs(def: ResourceDef, news: Props): Promise<Failure[]> {
  const failures: Failure[] = [];
  const known = new Set<string>();
  for (const [name, attr] of Object.entries(def.attributes)) {
    if (!isInput(attr)) continue;
    const prop = camel(name);
    known.add(prop);
    const v = reveal(news[prop]);
    if (v === undefined || v === null) {
      if (attr.mode === 'required') failures.push({ property: prop, reason: `Missing required property '${prop}'` });
      continue;
    }
    if (hasUnknown(v)) continue;
    const fn = await validator(attr);
    const value = storedForm(attr, toApiValue(attr, v));
    const schemaErrors = fn(value) ? [] : (fn.errors ?? []);
    const seen = new Set<string>();
    for (const e of schemaErrors) {
      const msg = describeSchemaError(e, (path, child) => propertyPath(prop, child ? `${path}/${child}` : path), formatMessageOfPattern).message;
      if (!seen.has(msg)) failures.push({ property: prop, reason: msg });
      seen.add(msg);
    }
    if (attr.format) {
      // Every entry is checked beyond the schema, so a preview lists every bad entry of a list
      // at once, not one kind of problem per run; an entry the schema refused is reported once.
      const format = attr.format;
      const refused = new Set(schemaErrors.map((e) => e.instancePath));
      failures.push(...elementFailures(prop, value, (v) => formatProblemBeyondSchema(format, v), refused));
    }
  }
  failures.push(...ruleFailures(def, news));
  const wait = waitArgumentAttribute(def);
  if (wait) {
    const prop = camel(wait[0]);
    known.add(prop);
    const v = reveal(news[prop]);
    if (v !== undefined && v !== null && !hasUnknown(v) && typeof v !== 'boolean') failures.push({ property: prop, reason: `${prop} must be a boolean` });
  }
  for (const prop of Object.keys(news)) {
    if (!known.has(prop)) failures.push({ property: prop, reason: `${prop} is not an input of ${def.title}` });
  }
  return failures;
}

/**
 * What the API checks beyond a format's schema (formatProblemBeyondSchema), per element, but for
 * those in `skip`: ajv instance paths, `/1` for an element, the empty path for a value that is not a list.
 */
function elementFailures(prop: string, value: unknown, check: (v: string) => string | undefined, skip: ReadonlySet<string>): Failure[] {
  const items = Array.isArray(value) ? value.map((v, i) => [`${prop}[${i}]`, v, `/${i}`] as const) : [[prop, value, ''] as const];
  return items.flatMap(([path, v, at]) => {
    const problem = typeof v === 'string' && !skip.has(at) ? check(v) : undefined;
    return problem ? [{ property: prop, reason: `${path} ${problem}` }] : [];
  });
}

/**
 * The catalog's rules over several inputs (region required in Mode B, OIDC fields refused for
 * SAML), on the offending property. A rule reading an output not resolved yet reports nothing:
 * the engine checks again once it is known, and the API checks what a preview could not.
 */
function ruleFailures(def: ResourceDef, news: Props): Failure[] {
  if (!def.rules?.length) return [];
  const values: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(def.attributes)) if (isInput(attr)) values[name] = reveal(news[camel(name)]);
  // The catalog's messages name attributes as the API does; a Pulumi program knows them in camelCase.
  const inPulumiTerms = (msg: string) => msg.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, (w) => (w in def.attributes ? camel(w) : w));
  return ruleViolations(def, { values, isUnknown: (v) => v === UNKNOWN }).map((v) => ({ property: camel(v.attribute), reason: inPulumiTerms(v.message) }));
}
