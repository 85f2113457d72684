/**
 * `npm run variables:module`: writes modules/terraform-claresia-tenant/variables-catalog.tf, the
 * module's variables that carry catalog resources, with their types and validation derived from
 * catalog/src/resources/*.ts (enum, pattern, format, length and item bounds, required/optional,
 * and the resource's rules), so the module cannot drift from what the API refuses.
 * `-- --check` only reports whether the file is current (exit status 1 when stale).
 *
 * What each variable exposes of its resource is the SPECS below: the module deliberately takes a
 * subset, names a few settings of its own (a secret's version, a timeout), and keeps secrets in
 * separate variables. Everything else about an attribute comes from the catalog.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FORMAT_MESSAGES,
  formatPattern,
  resourceByName,
  ruleMessage,
  type Attribute,
  type AttrFormat,
  type AttrType,
  type ResourceDef,
  type ResourceRule,
  type RuleTest,
} from '@claresia/catalog';
import { MAX_SIGNING_CERTIFICATES } from '../control-plane/src/sso/certificate.js';

export const COMMAND = 'npm run variables:module';
export const moduleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../modules/terraform-claresia-tenant');
export const outputFile = path.join(moduleDir, 'variables-catalog.tf');

/** A check the catalog cannot state, which the API makes; `says` continues "<path> must ...". */
interface Extra {
  condition: (value: string) => string;
  says: string;
}

interface Exposed {
  /** The catalog attribute; absent for a setting of the module's own (then `type` is given). */
  from?: string;
  /** HCL type of a module-only setting. */
  type?: string;
  /** The module's default where it differs from the catalog's (HCL). */
  default?: string;
  /**
   * The API fetches this URL through its outbound guard, which takes https only, while the
   * catalog declares format `uri`: checked as `https-uri`.
   */
  https?: true;
  extra?: Extra[];
}

interface VariableSpec {
  name: string;
  resource: string;
  description: string;
  /**
   * One object, or a map of objects by a key of the caller's choosing; or the value of the one
   * attribute in `attributes` (a write-only secret, which an object cannot carry since only a
   * whole variable can be ephemeral), or a map of such values.
   */
  shape: 'object' | 'map' | 'value' | 'value-map';
  /** HCL default of the variable; absent makes it required. */
  default?: string;
  /** `nullable = false`: the variable's default stands in for null. */
  notNull?: true;
  attributes: Record<string, Exposed>;
  /** Catalog attributes given elsewhere in the module, as HCL: the Hub's mode is the tenant's deployment_mode. */
  outside?: Record<string, string>;
  /** A map's key carries this catalog attribute (a group mapping's group, a Cowork pack's name). */
  key?: { from: string; extra?: Extra[] };
  /** Checks of the whole variable the API makes and the catalog does not state, with their messages. */
  checks?: Check[];
}

/**
 * The groups every new tenant has mapped already (control-plane/src/rbac/mappings.ts
 * DEFAULT_MAPPINGS; test/modules/variables.test.ts holds this to it): the API answers 409.
 */
export const DEFAULT_GROUPS = ['claresia-admins', 'claresia-auditors', 'claresia-users', 'claresia-eng-pilot'];

/**
 * A PEM certificate block with a base64 body. The API counts blocks from each BEGIN line to the
 * next END line and then parses each; a bundle whose every BEGIN starts such a block counts the
 * same here, and any other (a garbled block beside a good one) is refused at plan, not at apply.
 */
const PEM_BLOCK = '-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----';
const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';

/** catalog/src/ca-bundle.ts (inspectCaBundle) refuses a bigger bundle; it exports no name for the bound. */
const MAX_CA_CERTIFICATES = 10;

/** 1 to `max` PEM blocks, every one well-formed; `says` continues "... must ". */
function pemCount(max: number, says: string): Extra {
  return {
    condition: (v) => {
      const blocks = `length(regexall("${hclString(PEM_BLOCK)}", ${v}))`;
      return `${blocks} >= 1 && ${blocks} <= ${max} && ${blocks} == length(regexall("${hclString(PEM_BEGIN)}", ${v}))`;
    },
    says,
  };
}

export const SPECS: readonly VariableSpec[] = [
  {
    name: 'tenant',
    resource: 'tenant',
    description:
      'The tenant to create (runbook step 3), with the operator token of the default `claresia` provider. `deployment_mode` chooses the Hub: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mutual TLS). slug, region and deployment_mode cannot change without replacing the tenant.',
    shape: 'object',
    attributes: { slug: {}, display_name: {}, region: {}, deployment_mode: {}, billing_contact: {}, support_tier: {} },
  },
  {
    name: 'sso',
    resource: 'sso_connection',
    description:
      'Single sign-on (runbook step 4); null for none. SAML takes metadata_url or metadata_xml, or else all of idp_sso_url, idp_certificate and idp_entity_id. OIDC takes discovery_url and client_id, with the secret in `sso_client_secret`; bump client_secret_version to send a new secret.',
    shape: 'object',
    default: 'null',
    attributes: {
      protocol: {},
      name: { default: '"Single sign-on"' },
      metadata_url: { https: true },
      metadata_xml: {},
      idp_sso_url: { https: true },
      // Up to the API's count, which lets an IdP list its next key beside the current one during a rollover.
      idp_certificate: {
        extra: [pemCount(MAX_SIGNING_CERTIFICATES, `hold 1 to ${MAX_SIGNING_CERTIFICATES} PEM certificates, each base64 between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- (more than one while the IdP rolls its key over)`)],
      },
      idp_entity_id: {},
      discovery_url: { https: true },
      client_id: {},
      // client_secret is the variable sso_client_secret: ephemeral, so it cannot sit in this object.
      client_secret_version: { type: 'number', default: '1' },
    },
  },
  {
    name: 'sso_client_secret',
    resource: 'sso_connection',
    description:
      'OIDC client secret of the SSO connection. Write-only: sent to the API, never stored in the state (it may be an ephemeral value).',
    shape: 'value',
    default: 'null',
    attributes: { client_secret: {} },
    outside: { protocol: '(var.sso == null ? null : var.sso.protocol)' },
    checks: [
      {
        // Also without any sso, or with a protocol the sso variable refuses: the secret would go nowhere.
        condition: 'var.sso_client_secret == null ? true : (var.sso == null ? false : var.sso.protocol == "oidc")',
        message: 'sso_client_secret is only used with sso.protocol "oidc".',
      },
    ],
  },
  {
    name: 'scim',
    resource: 'scim_directory',
    description:
      'The SCIM 2.0 directory your IdP provisions users and groups into (runbook step 5); null for none. ip_allowlist holds the CIDRs allowed to call it (empty: any address).',
    shape: 'object',
    default: 'null',
    attributes: {
      idp: {},
      ip_allowlist: {
        extra: [
          {
            // The catalog's pattern reads the syntax; the API also wants the host bits zero, which is a
            // network address equal to itself once cidrhost normalises it.
            condition: (v) =>
              `alltrue([for c in ${v} : try(cidrhost(c, 0) == cidrhost("\${split("/", c)[0]}/\${strcontains(c, ":") ? 128 : 32}", 0), false)])`,
            says: 'have each CIDR with its host bits zero (203.0.113.0/24, not 203.0.113.7/24)',
          },
        ],
      },
    },
  },
  {
    name: 'group_mappings',
    resource: 'group_mapping',
    description:
      "IdP groups (pushed over SCIM) mapped to Claresia roles, by group name: role is tenant_admin, auditor or member; archetype optionally grants that archetype's skills to the group's members. Every tenant starts with claresia-admins, claresia-auditors, claresia-users and claresia-eng-pilot mapped; manage those through the API (or an import block in your root module), not here.",
    shape: 'map',
    default: '{}',
    notNull: true,
    // The catalog's rbac-group format carries the claresia- prefix rule.
    key: { from: 'group' },
    attributes: { role: {}, archetype: {} },
    checks: [
      {
        // The API stores the group lowercased and keeps one mapping per group.
        condition: 'length(distinct([for g in keys(var.group_mappings) : lower(g)])) == length(var.group_mappings)',
        message: 'group_mappings: group names are compared case-insensitively; two keys name the same group.',
      },
      {
        condition: `alltrue([for g in keys(var.group_mappings) : !contains(${list(DEFAULT_GROUPS)}, lower(g))])`,
        message: `group_mappings: ${DEFAULT_GROUPS.join(', ')} are mapped in every new tenant already; change them through the API or import them in your root module.`,
      },
    ],
  },
  {
    name: 'llm_connectors',
    resource: 'llm_connector',
    description:
      'LLM platform connectors (runbook step 6), any number, by a key of your choosing. The credential of each is the entry of the same key in `llm_credentials`; bump credential_version to send a new one.',
    shape: 'map',
    default: '{}',
    notNull: true,
    attributes: {
      platform: {},
      name: {},
      base_url: {
        https: true,
        // The connector appends API paths to it, so the API refuses a query or fragment.
        extra: [{ condition: (v) => `!can(regex("[?#]", ${v}))`, says: 'have no query or fragment (leave it out for the platform\'s public API)' }],
      },
      credential_version: { type: 'number', default: '1' },
    },
  },
  {
    name: 'llm_credentials',
    resource: 'llm_connector',
    description:
      'The platform credential (API key, admin key or bot token) of each entry of `llm_connectors`, by the same key. Write-only: sent to the API, never stored in the state (the values may be ephemeral).',
    shape: 'value-map',
    default: '{}',
    notNull: true,
    attributes: { credential: {} },
    checks: [
      {
        condition: 'alltrue([for k in keys(var.llm_connectors) : contains(keys(var.llm_credentials), k)])',
        message: 'llm_credentials needs a credential for every key of llm_connectors.',
      },
      {
        condition: 'alltrue([for k in keys(var.llm_credentials) : contains(keys(var.llm_connectors), k)])',
        message: 'llm_credentials has a key that is not in llm_connectors.',
      },
    ],
  },
  {
    name: 'hub',
    resource: 'hub',
    description:
      "The Hub (runbook step 7), in the tenant's deployment_mode. Mode B needs region (where the dedicated Hub and its customer-managed key live). Mode C needs mtls_endpoint_url (https, demanding a client certificate) and customer_ca_certificate (the PEM CA bundle, up to 10, that issued the endpoint's server certificate). create_timeout bounds how long apply waits for the Hub to be ready; in Mode C that includes the time your endpoint takes to trust the control plane's client certificate. In Mode C with a trust store fed from this module's control_plane_client_certificate output in the same apply, set wait_for_ready = false (create then returns once the certificate is issued) and pass that trust store to hub_ready_after: hub_status and health are read after it, once the Hub is ready.",
    shape: 'object',
    default: '{}',
    notNull: true,
    outside: { mode: 'var.tenant.deployment_mode' },
    attributes: {
      region: {},
      mtls_endpoint_url: {},
      customer_ca_certificate: { extra: [pemCount(MAX_CA_CERTIFICATES, `hold 1 to ${MAX_CA_CERTIFICATES} PEM CA certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)`)] },
      create_timeout: {
        type: 'string',
        default: '"20m"',
        extra: [{ condition: (v) => `can(regex("^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))+$", ${v}))`, says: 'be a duration such as 30s, 20m or 1h30m' }],
      },
      // claresia_hub's own argument (the catalog's async wait argument), not an API attribute.
      wait_for_ready: { type: 'bool', default: 'true' },
    },
  },
  {
    name: 'cowork_packs',
    resource: 'cowork',
    description:
      'Cowork packs to apply (runbook step 9), by pack name (starter, go-to-market, builders, back-office, enterprise; see the claresia_skill_catalog data source), each with the skill ids blocked by policy.',
    shape: 'map',
    default: '{}',
    notNull: true,
    key: { from: 'pack' },
    // blocked_skills: the catalog's skill-id format (the module's own looser shape check went with it).
    attributes: { blocked_skills: {} },
  },
];

/**
 * Formats the catalog gives no pattern for (JSON Schema's own formats, checked by ajv): the
 * generator's rendering of them in RE2, as the module has always checked them.
 */
const OWN_FORMAT_PATTERNS: Partial<Record<AttrFormat, string>> = {
  email: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  uri: '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#\\s]+[^\\s]*$',
};

/** An HCL quoted-string body: escapes, and no interpolation or directive. */
export function hclString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

function quote(s: string): string {
  return `"${hclString(s)}"`;
}

function list(xs: readonly string[]): string {
  return `[${xs.map(quote).join(', ')}]`;
}

function scalarType(t: AttrType, where: string): string {
  if (t === 'string') return 'string';
  if (t === 'number' || t === 'integer') return 'number';
  if (t === 'boolean') return 'bool';
  if ('list' in t) return `list(${scalarType(t.list, where)})`;
  if ('set' in t) return `set(${scalarType(t.set, where)})`;
  if ('map' in t) return `map(${scalarType(t.map, where)})`;
  throw new Error(`${where}: nested object attributes are not exposed by the module`);
}

function hclValue(v: unknown, where: string): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => hclValue(x, where)).join(', ')}]`;
  throw new Error(`${where}: cannot write the default ${JSON.stringify(v)} in HCL`);
}

function catalogAttr(res: ResourceDef, spec: VariableSpec, name: string, e: Exposed): Attribute | undefined {
  if (!e.from && e.type) return undefined;
  const a = res.attributes[e.from ?? name];
  if (!a) throw new Error(`${spec.name}.${name}: ${res.name} has no attribute ${e.from ?? name}`);
  if (a.mode === 'computed') throw new Error(`${spec.name}.${name}: ${res.name}.${e.from ?? name} is computed, not an input`);
  return a;
}

function attributeType(res: ResourceDef, spec: VariableSpec, name: string, e: Exposed): string {
  const a = catalogAttr(res, spec, name, e);
  const where = `${spec.name}.${name}`;
  const type = a ? scalarType(a.type, where) : e.type!;
  const def = e.default ?? (a?.default !== undefined ? hclValue(a.default, where) : undefined);
  if (def !== undefined) return `optional(${type}, ${def})`;
  return a?.mode === 'required' ? type : `optional(${type})`;
}

/** The value as the API stores it, which is what it counts the length of. */
function stored(a: Attribute, v: string): string {
  if (a.normalize === 'trim') return `trimspace(${v})`;
  if (a.normalize === 'lowercase') return `lower(trimspace(${v}))`;
  return v;
}

function lengthCheck(min: number | undefined, max: number | undefined, v: string, unit: string): { cond: string[]; says: string } | undefined {
  if (min === undefined && max === undefined) return undefined;
  const cond = [...(min !== undefined ? [`length(${v}) >= ${min}`] : []), ...(max !== undefined ? [`length(${v}) <= ${max}`] : [])];
  const says =
    min !== undefined && max !== undefined ? `hold ${min} to ${max} ${unit}` : min !== undefined ? `hold at least ${min} ${unit}` : `hold at most ${max} ${unit}`;
  return { cond, says };
}

interface Check {
  condition: string;
  message: string;
}

/**
 * One validation per attribute: every constraint the catalog (and the spec's extras) puts on it,
 * all in one sentence. Lengths count the value as stored (trimmed), as the API counts them;
 * patterns and formats read the value as given.
 */
function attributeCheck(res: ResourceDef, spec: VariableSpec, name: string, e: Exposed, ref: (attr: string) => string, pathOf: (attr: string) => string): Check | undefined {
  const a = catalogAttr(res, spec, name, e);
  const v = ref(name);
  const cond: string[] = [];
  const says: string[] = [];
  let explain: string | undefined;
  if (a) {
    const isCollection = typeof a.type === 'object';
    if (isCollection) {
      const items = lengthCheck(a.minItems, a.maxItems, v, 'items');
      if (items) (cond.push(...items.cond), says.push(items.says));
    }
    // On a collection the scalar constraints hold for each element, as the API applies them.
    const el = isCollection ? 'x' : v;
    const elCond: string[] = [];
    const elSays: string[] = [];
    if (a.enum) (elCond.push(`contains(${list(a.enum)}, ${el})`), elSays.push(`be one of ${a.enum.map((x) => `"${x}"`).join(', ')}`));
    if (a.pattern) {
      elCond.push(`can(regex(${quote(a.pattern)}, ${el}))`);
      elSays.push(`match ${a.pattern}`);
      // A regular expression alone is no explanation; the catalog's description is.
      explain = a.description.replace(/\.$/, '') + (a.example !== undefined && !a.description.includes('e.g.') ? `; e.g. ${JSON.stringify(a.example)}` : '');
    }
    const format: AttrFormat | undefined = e.https ? 'https-uri' : a.format;
    if (format) {
      const catalogPattern = formatPattern(format)?.source;
      // https-uri is a uri first; the catalog's pattern only adds the scheme.
      const own = OWN_FORMAT_PATTERNS[format === 'https-uri' || format === 'outbound-url' ? 'uri' : format];
      if (!catalogPattern && !own) throw new Error(`${spec.name}.${name}: no pattern for format ${format}`);
      for (const p of [own, catalogPattern]) if (p) elCond.push(`can(regex(${quote(p)}, ${el}))`);
      elSays.push(FORMAT_MESSAGES[format].replace(/^must /, ''));
    }
    // No exposed attribute has these yet; refusing beats leaving a catalog check out silently.
    if (a.minimum !== undefined || a.maximum !== undefined) throw new Error(`${spec.name}.${name}: minimum and maximum are not rendered yet`);
    const len = lengthCheck(a.minLength, a.maxLength, stored(a, el), 'characters');
    if (len) (elCond.push(...len.cond), elSays.push(len.says + (a.normalize === 'trim' || a.normalize === 'lowercase' ? ' besides surrounding spaces' : '')));
    if (elCond.length && isCollection) {
      cond.push(`alltrue([for x in ${v} : ${elCond.join(' && ')}])`);
      says.push(`have each item ${elSays.join(', ')}`);
    } else (cond.push(...elCond), says.push(...elSays));
  }
  for (const x of e.extra ?? []) (cond.push(x.condition(v)), says.push(x.says));
  if (!cond.length) return undefined;
  const required = a ? a.mode === 'required' && e.default === undefined : false;
  const last = says.length > 1 ? `${says.slice(0, -1).join(', ')} and ${says.at(-1)}` : says[0]!;
  return {
    // A map key is never null.
    condition: name === KEY ? cond.join(' && ') : `${v} == null ? ${required ? 'false' : 'true'} : ${cond.join(' && ')}`,
    message: `${pathOf(name)} must ${last}${explain ? ` (${explain})` : ''}.`,
  };
}

function ruleTest(res: ResourceDef, attr: string, t: RuleTest, v: string): string {
  if (t === 'set') return `${v} != null`;
  if (t === 'unset') return `${v} == null`;
  const a = res.attributes[attr];
  // Compared as the API stores it, as the catalog's ruleViolations compares.
  return `(${v} == null ? false : contains(${list(t)}, ${a ? stored(a, v) : v}))`;
}

/**
 * One validation per rule and attribute, with the rule's own message: the API reports a rule per
 * attribute, and a static message is what the README lists. A rule whose condition reads an
 * attribute this variable does not carry (the OIDC client secret) is left to the variable that does.
 */
function ruleChecks(res: ResourceDef, spec: VariableSpec, exposedFrom: Map<string, string>, ref: (attr: string) => string, pathOf: (attr: string) => string): Check[] {
  const out: Check[] = [];
  const valueOf = (catalogName: string) => {
    const m = exposedFrom.get(catalogName);
    return m !== undefined ? ref(m) : spec.outside?.[catalogName];
  };
  for (const rule of res.rules ?? []) {
    const reads = rule.kind === 'conflicts_with' ? rule.with : Object.keys(rule.when);
    if (reads.some((r) => valueOf(r) === undefined)) continue;
    const trigger =
      rule.kind === 'conflicts_with'
        ? rule.with.map((w) => `${valueOf(w)} != null`).join(' || ')
        : Object.entries(rule.when)
            .map(([n, t]) => ruleTest(res, n, t, valueOf(n)!))
            .join(' && ');
    for (const attr of rule.attributes) {
      const m = exposedFrom.get(attr);
      if (m === undefined) continue;
      const v = ref(m);
      const holds = rule.kind === 'required_when' ? `${v} != null` : `${v} == null`;
      // A lone test is parenthesised already (ruleTest).
      const negated = /^\([^()]*(\([^()]*\)[^()]*)*\)$/.test(trigger) ? `!${trigger}` : `!(${trigger})`;
      out.push({ condition: `${negated} || ${holds}`, message: messageFor(rule, pathOf(m)) });
    }
  }
  return out;
}

function messageFor(rule: ResourceRule, path: string): string {
  const m = ruleMessage(rule, path);
  const sentence = rule.message.includes('{attribute}') ? m : `${path}: ${m}`;
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}

/** Lines `name = value` aligned on `=` the way terraform fmt aligns a run of one-line attributes. */
function aligned(pairs: [string, string][], indent: string): string[] {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(w)} = ${v}`);
}

/** The module name of the attribute a map's key carries. */
const KEY = '<key>';

function renderVariable(spec: VariableSpec): string {
  const res = resourceByName(spec.resource);
  const names = Object.keys(spec.attributes);
  const exposed: [string, Exposed][] = [...(spec.key ? [[KEY, { from: spec.key.from, extra: spec.key.extra }] as [string, Exposed]] : []), ...Object.entries(spec.attributes)];
  const exposedFrom = new Map(exposed.filter(([, e]) => !e.type || e.from).map(([n, e]) => [e.from ?? n, n]));
  const whole = `var.${spec.name}`;
  const isValue = spec.shape === 'value' || spec.shape === 'value-map';
  const perEntry = spec.shape === 'map' || spec.shape === 'value-map';
  const ref = (n: string) => (n === KEY ? 'k' : spec.shape === 'value' ? whole : spec.shape === 'value-map' ? 'v' : spec.shape === 'map' ? `v.${n}` : `${whole}.${n}`);
  const pathOf = (n: string) =>
    n === KEY ? `${spec.name}[<${spec.key!.from}>]` : spec.shape === 'value' ? spec.name : spec.shape === 'value-map' ? `${spec.name}[*]` : spec.shape === 'map' ? `${spec.name}[*].${n}` : `${spec.name}.${n}`;
  const checks = [
    ...exposed.map(([n, e]) => attributeCheck(res, spec, n, e, ref, pathOf)).filter((c): c is Check => c !== undefined),
    ...ruleChecks(res, spec, exposedFrom, ref, pathOf),
  ];
  const out = [`variable "${spec.name}" {`];
  const head: [string, string][] = [['description', quote(spec.description)]];
  if (isValue) {
    const [name, e] = Object.entries(spec.attributes)[0]!;
    const a = catalogAttr(res, spec, name, e)!;
    const t = scalarType(a.type, `${spec.name}`);
    head.push(['type', spec.shape === 'value-map' ? `map(${t})` : t]);
  } else {
    out.push(...aligned(head, '  '));
    head.length = 0;
    const inner = aligned(names.map((n) => [n, attributeType(res, spec, n, spec.attributes[n]!)]), '    ');
    out.push(`  type = ${spec.shape === 'map' ? `map(object({\n${inner.join('\n')}\n  }))` : `object({\n${inner.join('\n')}\n  })`}`);
  }
  if (spec.default !== undefined) head.push(['default', spec.default]);
  if (spec.notNull) head.push(['nullable', 'false']);
  if (isValue) {
    const a = res.attributes[Object.values(spec.attributes)[0]!.from ?? Object.keys(spec.attributes)[0]!]!;
    if (a.sensitive) head.push(['sensitive', 'true']);
    // A write-only value never reaches the state, so it may be an ephemeral value.
    if (a.writeOnly) head.push(['ephemeral', 'true']);
  }
  if (head.length) out.push(...aligned(head, '  '));
  const validation = (condition: string, message: string) =>
    out.push('', '  validation {', ...aligned([['condition', condition], ['error_message', quote(message)]], '    '), '  }');
  for (const c of checks) {
    // An object variable may be null as a whole (no SSO at all); a value's own null is what its checks read.
    const condition = perEntry
      ? `alltrue([for k, v in ${whole} : ${c.condition}])`
      : spec.default === 'null' && spec.shape === 'object'
        ? `${whole} == null ? true : ${wrap(c.condition)}`
        : c.condition;
    validation(condition, c.message);
  }
  for (const c of spec.checks ?? []) validation(c.condition, c.message);
  out.push('}');
  return out.join('\n');
}

/** A condition that is itself a conditional or a disjunction, parenthesised to nest it. */
const wrap = (c: string) => (/ \? | \|\| /.test(c) ? `(${c})` : c);

export function renderVariablesFile(): string {
  return [
    `# Generated by \`${COMMAND}\` (scripts/module-variables.ts) from catalog/src/resources/*.ts; do not edit.`,
    '# The variables of this module that carry a catalog resource (all of them today), their types and',
    "# every check the catalog declares, so a mistake fails at `terraform plan` with the input named. A",
    "# variable of the module's own, with nothing in the catalog to derive it from, goes in variables.tf.",
    '',
    SPECS.map(renderVariable).join('\n\n'),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = renderVariablesFile();
  if (process.argv.includes('--check')) {
    let have = '';
    try {
      have = readFileSync(outputFile, 'utf8');
    } catch {}
    const stale = have !== want;
    process.stdout.write(stale ? `${outputFile} is stale; run ${COMMAND}\n` : `${outputFile} is current\n`);
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(outputFile, want);
    process.stdout.write(`wrote ${outputFile}\n`);
  }
}
