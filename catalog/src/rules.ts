import { normalizeValue } from './normalize.js';
import type { Attribute, ResourceDef, ResourceRule, RuleCondition, RuleTest } from './types.js';

/**
 * What the rules are checked against. The API passes a request body (for an update, the
 * stored values with the request's changes over them, and the request alone as `given`); the
 * IaC tools pass a configuration whose values may not be known yet.
 */
export interface RuleInput {
  /** Every attribute's value as it will be; null or absent when not set. */
  values: Readonly<Record<string, unknown>>;
  /**
   * A value not known until apply (a Terraform unknown, a Pulumi output not resolved yet):
   * it may turn out set or not, so a rule it takes part in is not decided and reports nothing.
   */
  isUnknown?: (value: unknown) => boolean;
  /**
   * The values the caller gave in this request, when it differs from `values`: an attribute is
   * refused only when the caller gave it, since a stored value the API derived (a SAML setting
   * read from metadata) is not the caller's to take out.
   */
  given?: Readonly<Record<string, unknown>>;
}

export interface RuleViolation {
  attribute: string;
  kind: ResourceRule['kind'];
  /** The rule's message with the attribute named. */
  message: string;
}

const isSet = (v: unknown) => v !== null && v !== undefined;

/** true, false, or undefined when a value it reads is not known yet. */
function holds(attrs: Record<string, Attribute>, when: RuleCondition, input: RuleInput): boolean | undefined {
  let undecided = false;
  for (const [name, t] of Object.entries(when)) {
    const v = input.values[name];
    if (input.isUnknown?.(v)) {
      undecided = true;
      continue;
    }
    if (!passes(attrs[name], t, v)) return false;
  }
  return undecided ? undefined : true;
}

function passes(attr: Attribute | undefined, t: RuleTest, v: unknown): boolean {
  if (t === 'set') return isSet(v);
  if (t === 'unset') return !isSet(v);
  if (!isSet(v)) return false;
  // Compared as the API stores it: a " saml " protocol is saml.
  const stored = attr ? normalizeValue(attr, v) : v;
  return typeof stored === 'string' && t.includes(stored);
}

export function ruleMessage(rule: ResourceRule, attribute: string): string {
  return rule.message.replaceAll('{attribute}', attribute);
}

/**
 * The violations of a resource's rules, in rule order. Nothing is reported where a value
 * involved is unknown: a plan must never fail on what apply might still satisfy.
 */
export function ruleViolations(def: Pick<ResourceDef, 'attributes' | 'rules'>, input: RuleInput): RuleViolation[] {
  const out: RuleViolation[] = [];
  const given = input.given ?? input.values;
  const unknown = (v: unknown) => input.isUnknown?.(v) ?? false;
  const reported = new Set<string>();
  // One failure per attribute, the first rule's: an OIDC field in a SAML connection is wrong once.
  const report = (rule: ResourceRule, attribute: string) => {
    if (reported.has(attribute)) return;
    reported.add(attribute);
    out.push({ attribute, kind: rule.kind, message: ruleMessage(rule, attribute) });
  };
  const refusable = (a: string) => !unknown(given[a]) && isSet(given[a]);
  for (const rule of def.rules ?? []) {
    switch (rule.kind) {
      case 'required_when':
        if (holds(def.attributes, rule.when, input) !== true) break;
        for (const a of rule.attributes) if (!unknown(input.values[a]) && !isSet(input.values[a])) report(rule, a);
        break;
      case 'forbidden_when':
        if (holds(def.attributes, rule.when, input) !== true) break;
        for (const a of rule.attributes) if (refusable(a)) report(rule, a);
        break;
      case 'conflicts_with':
        if (!rule.with.some((w) => !unknown(input.values[w]) && isSet(input.values[w]))) break;
        for (const a of rule.attributes) if (refusable(a)) report(rule, a);
        break;
    }
  }
  return out;
}

function describeTest(name: string, t: RuleTest): string {
  if (t === 'set') return `${name} is set`;
  if (t === 'unset') return `${name} is not set`;
  return `${name} is ${t.map((v) => `"${v}"`).join(' or ')}`;
}

/**
 * One sentence per rule that names `attribute`, derived from the rule itself, for the
 * attribute's documentation ("Required when mode is "B"."), so docs cannot drift from it.
 */
export function ruleNotes(def: Pick<ResourceDef, 'rules'>, attribute: string): string[] {
  const notes: string[] = [];
  for (const rule of def.rules ?? []) {
    if (!rule.attributes.includes(attribute)) continue;
    if (rule.kind === 'conflicts_with') {
      notes.push(`Conflicts with ${rule.with.join(', ')}.`);
      continue;
    }
    const when = Object.entries(rule.when)
      .map(([n, t]) => describeTest(n, t))
      .join(' and ');
    notes.push(`${rule.kind === 'required_when' ? 'Required' : 'Not allowed'} when ${when}.`);
  }
  return notes;
}

/**
 * The entry with each attribute's description followed by the notes its rules give, so the
 * Terraform schema and docs, the Pulumi schema and SDK, and the CDKTF bindings all say it.
 */
export function withRuleNotes<T extends ResourceDef>(def: T): T {
  if (!def.rules?.length) return def;
  const attributes = Object.fromEntries(
    Object.entries(def.attributes).map(([name, a]) => {
      const notes = ruleNotes(def, name);
      return [name, notes.length ? { ...a, description: [a.description, ...notes].join(' ') } : a];
    }),
  );
  return { ...def, attributes };
}
