/**
 * The provider's documentation in the Terraform registry layout, rendered from the catalog
 * (the same source as the schema), so docs cannot disagree with what the provider accepts.
 */
import { dataSources, resources, type Attribute, type AttrType, type DataSourceDef, type ResourceDef } from '@claresia/catalog';
import { defaultNote, flags, hasTimeouts, providerAttributes, TIMEOUTS_ATTRIBUTE, writeOnlyVersions } from './schema.js';

export const DOCS_COMMAND = 'npm run docs -w @claresia/terraform-provider';
const HEADER = `<!-- Generated from the resource catalog by \`${DOCS_COMMAND}\`; do not edit. -->\n`;

/** The object an attribute holds, alone or as the elements of a list, set or map: Terraform's nested attributes. */
function nestedObject(t: AttrType): Record<string, Attribute> | undefined {
  if (typeof t === 'string') return undefined;
  if ('object' in t) return t.object;
  const inner = 'list' in t ? t.list : 'set' in t ? t.set : t.map;
  return typeof inner !== 'string' && 'object' in inner ? inner.object : undefined;
}

// Nested attributes are named as tfplugindocs names them, so the pages read like the registry's other providers.
function typeName(t: AttrType): string {
  if (typeof t === 'string') return t === 'integer' ? 'Number' : t === 'boolean' ? 'Boolean' : t[0]!.toUpperCase() + t.slice(1);
  if ('object' in t) return 'Attributes';
  const nested = nestedObject(t) !== undefined;
  if ('list' in t) return nested ? 'Attributes List' : `List of ${typeName(t.list)}`;
  if ('set' in t) return nested ? 'Attributes Set' : `Set of ${typeName(t.set)}`;
  return nested ? 'Attributes Map' : `Map of ${typeName(t.map)}`;
}

/** The anchor of a nested attribute's section; `path` is its dotted path from the top. */
const nestedAnchor = (path: string) => `nestedatt--${path.replace(/\./g, '--')}`;

function bullet(name: string, a: Attribute, path = name): string {
  const tags = [typeName(a.type)];
  if (a.sensitive) tags.push('Sensitive');
  if (a.writeOnly) tags.push('Write-only');
  const notes: string[] = [a.description];
  if (a.enum) notes.push(`One of ${a.enum.map((v) => `\`${v}\``).join(', ')}.`);
  if (a.default !== undefined) notes.push(defaultNote(a.default));
  if (a.pattern) notes.push(`Must match \`${a.pattern}\`.`);
  if (a.format) notes.push(`Format: ${a.format}.`);
  if (a.forceNew && a.mode !== 'computed') notes.push('Changing it replaces the resource.');
  if (a.normalize) notes.push(`Compared ${a.normalize === 'sorted_set' ? 'as a set' : a.normalize === 'lowercase' ? 'case-insensitively' : 'ignoring surrounding whitespace'}, as the API stores it.`);
  if (a.writeOnly) notes.push('Sent to the API, never stored in state (Terraform 1.11+); accepts ephemeral values.');
  if (a.returnedOnce) notes.push('Returned once, at creation; null after import.');
  if (nestedObject(a.type)) notes.push(`(see [below for nested schema](#${nestedAnchor(path)}))`);
  return `- \`${name}\` (${tags.join(', ')}) ${notes.join(' ')}`;
}

type Group = 'Required' | 'Optional' | 'Read-Only';
/** A bullet and the name it sorts by. */
type Line = [name: string, line: string];

function grouped(attrs: Record<string, Attribute>, prefix: string, extraOptional: Line[] = []): [Group, string[]][] {
  const groups: Record<Group, Line[]> = { Required: [], Optional: [...extraOptional], 'Read-Only': [] };
  for (const [name, a] of Object.entries(attrs)) {
    const f = flags(a);
    groups[f.required ? 'Required' : f.optional ? 'Optional' : 'Read-Only'].push([name, bullet(name, a, prefix + name)]);
  }
  return (Object.entries(groups) as [Group, Line[]][])
    .filter(([, lines]) => lines.length)
    .map(([title, lines]) => [title, lines.sort(([x], [y]) => x.localeCompare(y)).map(([, l]) => l)]);
}

/**
 * A "Nested Schema for `x`" section for every nested attribute, depth first, each behind the
 * anchor its attribute's bullet links to: the fields a user writes outputs and checks against.
 */
function nestedSections(attrs: Record<string, Attribute>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, a] of Object.entries(attrs).sort(([x], [y]) => x.localeCompare(y))) {
    const inner = nestedObject(a.type);
    if (!inner) continue;
    const path = prefix + name;
    const groups = grouped(inner, `${path}.`).map(([title, lines]) => `${title}:\n\n${lines.join('\n')}\n`);
    out.push(`<a id="${nestedAnchor(path)}"></a>\n### Nested Schema for \`${path}\`\n\n${groups.join('\n')}`);
    out.push(...nestedSections(inner, `${path}.`));
  }
  return out;
}

/** `extraOptional`: arguments that live only in Terraform (timeouts, a wait switch), listed with the catalog's optional ones. */
function schemaSections(attrs: Record<string, Attribute>, extraOptional: Line[] = []): string {
  return [...grouped(attrs, '', extraOptional).map(([title, lines]) => `### ${title}\n\n${lines.join('\n')}\n`), ...nestedSections(attrs)].join('\n');
}

/** Optional arguments of a resource that are Terraform's alone, never sent to the API. */
function terraformOnlyArguments(def: ResourceDef): Line[] {
  const out: Line[] = [];
  if (hasTimeouts(def)) {
    out.push([
      TIMEOUTS_ATTRIBUTE,
      `- \`${TIMEOUTS_ATTRIBUTE}\` (Attributes) How long apply waits for the resource to become ready, written \`${TIMEOUTS_ATTRIBUTE} = { create = "30m" }\`. (see [below for nested schema](#${nestedAnchor(TIMEOUTS_ATTRIBUTE)}))`,
    ]);
  }
  const wait = def.async?.waitArgument;
  if (wait) out.push([wait.name, `- \`${wait.name}\` (Boolean) ${wait.description} Defaults to \`true\`.`]);
  return out;
}

function timeoutsSection(def: ResourceDef): string {
  const a = def.async!;
  const states = (xs: readonly string[], join: string) => xs.map((s) => `\`${s}\``).join(join);
  return [
    `<a id="${nestedAnchor(TIMEOUTS_ATTRIBUTE)}"></a>`,
    `### Nested Schema for \`${TIMEOUTS_ATTRIBUTE}\`\n`,
    `${a.updateWaitsOn ? `\`${a.attribute}\` settles in the background` : 'Creation finishes in the background'}; apply polls \`${a.attribute}\` until it is ${states(a.ready, ' or ')} (failing on ${states(a.failed, ', ')})` +
      (a.updateWaitsOn ? `, after create and after an update that changes ${states(a.updateWaitsOn, ' or ')}; other updates neither wait nor fail on a ${states(a.failed, ' or ')} one. ` : '. ') +
      'Each limit is a duration such as `30s`, `20m` or `1h30m` and defaults to 20 minutes; ' +
      (a.fixableInPlace
        ? `a create that fails is deleted again, so the apply changes nothing and the next one creates it; one still not ready at its limit, with no verdict, is kept with a warning naming timeouts.create (a refresh records the outcome); an update that fails keeps the resource in state, untainted, fixed in place by a new value, and one with no verdict at its limit is no failure either: its new values stay in state, with a warning naming timeouts.update.`
        : 'a resource still not ready at its limit stays in state, tainted.') +
      (a.inconclusiveReasonPrefix && a.reasonAttribute
        ? ` While it is ${states(a.pending, ' or ')}, a \`${a.reasonAttribute}\` that begins with \`${a.inconclusiveReasonPrefix.trim()}\` (held up by what no wait can hurry, such as a platform out of reach, which the control plane retries) ends the wait with a warning.`
        : '') +
      (a.inconclusiveReasons?.length && a.reasonAttribute
        ? ` While it is ${states(a.pending, ' or ')}, a \`${a.reasonAttribute}\` that begins with ${a.inconclusiveReasons.map((r) => `\`${r.prefix.trim()}\``).join(', ')} (what only a fix of ${[...new Set(a.inconclusiveReasons.map((r) => `\`${r.input}\``))].join(' or ')} can end; the control plane keeps trying) ends the wait with a warning there, the resource kept in state, untainted.`
        : '') +
      '\n',
    // Peer providers take a `timeouts { ... }` block; Terraform refuses that here with "Unsupported block type".
    `\`${TIMEOUTS_ATTRIBUTE}\` is an attribute, so it is set with \`=\`, not written as a block:\n`,
    '```terraform',
    `resource "claresia_${def.name}" "example" {\n  # ...\n\n  ${TIMEOUTS_ATTRIBUTE} = {\n    create = "30m"\n  }\n}`,
    '```\n',
    'Optional:\n',
    `- \`create\` (String) How long create waits for \`${a.attribute}\` to turn ${states(a.ready, ' or ')}.`,
    '- `delete` (String) How long destroy waits for the API to stop returning the resource.',
    `- \`update\` (String) How long an update waits for \`${a.attribute}\` to turn ${states(a.ready, ' or ')} again.\n`,
  ].join('\n');
}

function resourceDoc(def: ResourceDef): string {
  const type = `claresia_${def.name}`;
  const importLines = [
    `Import ID format: \`${def.importId.format}\`${def.importId.what ? `, ${def.importId.what}` : ''}.`,
    '',
    'With an `import` block (Terraform 1.5+):',
    '',
    '```terraform',
    `import {\n  to = ${type}.example\n  id = "${def.importId.example}"\n}`,
    '```',
    '',
    'Or with the CLI:',
    '',
    '```shell',
    `terraform import ${type}.example ${def.importId.example}`,
    '```',
  ];
  const parts = [
    HEADER,
    `# ${type} (Resource)\n`,
    `${def.description}\n`,
    `Managed with ${def.auth === 'operator' ? 'an operator token' : "the tenant's credentials (a tenant JWT, or client_id and client_secret)"}.\n`,
    '## Example Usage\n',
    '```terraform\n' + def.terraformExample.trim() + '\n```\n',
    '## Schema\n',
    schemaSections(def.attributes, terraformOnlyArguments(def)),
  ];
  const versions = writeOnlyVersions(def);
  if (versions.length) {
    parts.push(
      '### Write-only values\n',
      'Terraform keeps no copy of a write-only value, so it cannot see it change. To send a new value, change it together with its version:\n',
      versions.map((v) => `- \`${v.version}\` (Number, Optional) Change this number to send a new value of \`${v.attribute}\`.`).join('\n') + '\n',
    );
  }
  if (hasTimeouts(def)) parts.push(timeoutsSection(def));
  // Import reads the API, and these live only in Terraform: a configuration that sets them
  // plans them once after an import. Said here so that a first plan is not taken for drift.
  const afterImport = [
    ...versions.map((v) => `\`${v.version}\` is not imported: when the configuration sets it, the first plan after import shows it being set, and that apply sends \`${v.attribute}\` once.`),
    ...(hasTimeouts(def) ? ['`timeouts` are not imported: when the configuration sets them, the first plan after import shows them being set; that apply calls no API.'] : []),
    ...(def.async?.waitArgument ? [`\`${def.async.waitArgument.name}\` is not imported: when the configuration sets it, the first plan after import shows it being set; that apply calls no API.`] : []),
  ];
  if (afterImport.length) importLines.push('', ...afterImport.map((l) => `- ${l}`));
  parts.push('## Import\n', importLines.join('\n') + '\n');
  return parts.join('\n');
}

function dataSourceDoc(def: DataSourceDef): string {
  return [
    HEADER,
    `# claresia_${def.name} (Data Source)\n`,
    `${def.description}\n`,
    '## Example Usage\n',
    '```terraform\n' + def.terraformExample.trim() + '\n```\n',
    '## Schema\n',
    schemaSections(def.attributes),
  ].join('\n');
}

/** Where a newcomer's `terraform init` finds the provider: it is on no registry. */
function installSection(): string {
  // The same CLI configuration `npm run mirror` prints (scripts/mirror.mjs); a test holds the two together.
  const mirror = '/home/you/claresia-mirror';
  return [
    '## Installing the provider\n',
    'The provider is on no registry: `terraform init` cannot download `claresia/claresia` and answers "provider not found" (or fails to reach registry.terraform.io). ' +
      'It is a Node.js program (Node 20.19 or later) built from a checkout of the Claresia repository, and Terraform finds it through its CLI configuration. Build it and lay out a filesystem mirror:\n',
    '```shell',
    'npm ci',
    'npm run build -w @claresia/terraform-provider',
    `npm run mirror -w @claresia/terraform-provider -- ${mirror}`,
    '```\n',
    'The last command prints the CLI configuration that uses the mirror. Put it in a file and point `TF_CLI_CONFIG_FILE` at it (or put it in `~/.terraformrc`); `terraform init` then installs `claresia/claresia` from the mirror and every other provider from the registry as usual:\n',
    '```hcl',
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/claresia/claresia"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/claresia/claresia"]\n  }\n}`,
    '```\n',
    "The mirror's executable runs the checkout's build with the `node` that made it: a new build is picked up by the next run, and moving or deleting the checkout breaks it.\n",
    'To work on the provider itself, `dev_overrides` runs the build with no `terraform init` for it (Terraform warns about the override on every run):\n',
    '```hcl',
    'provider_installation {\n  dev_overrides {\n    "claresia/claresia" = "/path/to/claresia/provider/bin"\n  }\n  direct {}\n}',
    '```\n',
  ].join('\n');
}

/** Which credentials the provider signs in with, and when it checks them (provider/src/config.ts, provider.ts). */
function credentialsSection(): string {
  return [
    '## Credentials\n',
    '`endpoint`, `token`, `client_id` and `client_secret` can come from the environment instead: `CLARESIA_ENDPOINT`, `CLARESIA_TOKEN`, `CLARESIA_CLIENT_ID`, `CLARESIA_CLIENT_SECRET`. ' +
      '`request_timeout` and `max_retries` are set in the provider block only. When several credentials are set, the provider signs in with one of them:\n',
    [
      '1. Credentials written in the provider block win over the environment. A `token` there takes no credential from the environment; a `client_id` or `client_secret` there never picks up `CLARESIA_TOKEN`, and the other half of the pair may come from `CLARESIA_CLIENT_ID` or `CLARESIA_CLIENT_SECRET` (after `terraform import` of a tenant, its secret, shown once at creation, is not in state).',
      '2. A `token` and a `client_id` or `client_secret` both written in the block: the token is used, and a warning says the others are ignored.',
      '3. Nothing in the block: `CLARESIA_TOKEN` is used before `CLARESIA_CLIENT_ID` and `CLARESIA_CLIENT_SECRET`, and a warning says so when both kinds are set.',
    ].join('\n') + '\n',
    'The provider checks its credentials when Terraform configures it, with one request (the client credentials exchanged for a token, or the token sent to `GET /api/v1/me`): ' +
      'refused ones are one error on the provider block, naming where they came from, instead of one per resource and data source. A control plane that does not answer then is no error yet: each request retries and reports it. ' +
      'A tenant token (a JWT from `POST /api/v1/auth/token`) expires, after an hour by default: for runs that may outlast it, and in CI, give a tenant\'s provider `client_id` and `client_secret`, which it exchanges for a new token whenever one expires.\n',
  ].join('\n');
}

/** Which resources take `timeouts`, from the catalog, and how it is written. */
function timeoutsIndexSection(): string {
  const waiting = resources.filter(hasTimeouts);
  if (!waiting.length) return '';
  const links = waiting.map((r) => `[claresia_${r.name}](resources/${r.name}.md#${nestedAnchor(TIMEOUTS_ATTRIBUTE)})`).join(', ');
  return [
    '## Timeouts\n',
    `The resources whose creation finishes in the background wait for it during apply, and take \`${TIMEOUTS_ATTRIBUTE}\` (\`create\`, \`update\`, \`delete\`, each a duration such as \`30m\`, 20 minutes by default): ${links}. ` +
      `\`${TIMEOUTS_ATTRIBUTE}\` is an attribute, set with \`=\`, not a block as in many providers (Terraform answers a block with "Unsupported block type"):\n`,
    '```terraform',
    `resource "claresia_${waiting[0]!.name}" "example" {\n  # ...\n\n  ${TIMEOUTS_ATTRIBUTE} = {\n    create = "30m"\n  }\n}`,
    '```\n',
    "The other resources are done when the API answers; `request_timeout` bounds each request's attempts.\n",
  ].join('\n');
}

/** How resources import, and what an import cannot bring back, from the catalog. */
function importIndexSection(): string {
  const byOther = resources.filter((r) => r.importId.format !== '{id}');
  const attrs = (pick: (a: Attribute) => boolean | undefined) =>
    resources.flatMap((r) => Object.entries(r.attributes).filter(([, a]) => pick(a)).map(([n]) => `\`claresia_${r.name}.${n}\``));
  const terraformOnly = [...new Set(resources.flatMap((r) => [...writeOnlyVersions(r).map((v) => v.version), ...(hasTimeouts(r) ? [TIMEOUTS_ATTRIBUTE] : []), ...(r.async?.waitArgument ? [r.async.waitArgument.name] : [])]))];
  return [
    '## Import\n',
    "Every resource can be imported, with an `import` block (Terraform 1.5+) or `terraform import`; each resource's page gives its import ID format and an example. " +
      (byOther.length ? `Each imports by its id, except ${byOther.map((r) => `\`claresia_${r.name}\` by its ${r.importId.format.replace(/[{}]/g, '')} (\`${r.importId.format}\`)`).join(' and ')}.` : 'Each imports by its id.') +
      '\n',
    'An import reads the API, so it cannot bring back what the API never returns:\n',
    [
      `- write-only values (${attrs((a) => a.writeOnly).join(', ')}), never in state anyway;`,
      `- values returned once, at creation (${attrs((a) => a.returnedOnce).join(', ')}): null after an import;`,
      `- arguments that live only in Terraform (${terraformOnly.map((n) => `\`${n}\``).join(', ')}): when the configuration sets them, the first plan after the import shows them being set.`,
    ].join('\n') + '\n',
  ].join('\n');
}

function indexDoc(): string {
  const list = (items: readonly { name: string }[], kind: string) =>
    items.length ? items.map((r) => `- [claresia_${r.name}](${kind}/${r.name}.md)`).join('\n') : '- (none yet)';
  return [
    HEADER,
    '# Claresia Provider\n',
    'Manages Claresia tenants and their onboarding (identity, LLM connectors, the Hub, ...) through the control-plane API. ' +
      'An operator token creates tenants; a tenant service account (client_id and client_secret, returned when the tenant is created) manages what lives inside it.\n',
    installSection(),
    '## Example Usage\n',
    '```terraform',
    'terraform {\n  required_providers {\n    claresia = {\n      source  = "claresia/claresia"\n      version = "~> 0.1"\n    }\n  }\n}\n',
    '# An operator creates the tenant (CLARESIA_ENDPOINT and CLARESIA_TOKEN from the environment).',
    'provider "claresia" {}\n',
    'resource "claresia_tenant" "acme" {\n  slug            = "acme"\n  display_name    = "Acme Corp"\n  region          = "eu-west-1"\n  deployment_mode = "A"\n  billing_contact = "billing@acme.example"\n}\n',
    "# The tenant's own service account manages what lives inside it.",
    'provider "claresia" {\n  alias         = "acme"\n  client_id     = claresia_tenant.acme.client_id\n  client_secret = claresia_tenant.acme.client_secret\n}',
    '```\n',
    'Requests are retried on 429 and 5xx with backoff (honouring `Retry-After`), and creates carry an idempotency key, so a retried create never makes two objects: a retry whose first answer was lost gets that answer again, secrets included (the control plane keeps it for the caller for 24 h, an answer holding a secret for 1 h).\n',
    'Terraform 1.11 or later: credentials and secrets you send (LLM credentials, OIDC client secrets) are write-only attributes and never reach the state file. ' +
      'Change the matching `<name>_wo_version` to send a new value.\n',
    'When a provider block takes its credentials from a tenant created in the same run, Terraform cannot read data sources through it while planning: ' +
      'give such a data source `depends_on` on the resources it reports on, and it is read during apply.\n',
    credentialsSection(),
    timeoutsIndexSection(),
    importIndexSection(),
    '## Schema\n',
    schemaSections(providerAttributes),
    '## Resources\n',
    list(resources, 'resources') + '\n',
    '## Data Sources\n',
    list(dataSources, 'data-sources') + '\n',
  ].join('\n');
}

/** Relative path under provider/docs → content. */
export function renderDocs(): Map<string, string> {
  const out = new Map<string, string>();
  out.set('index.md', indexDoc());
  for (const r of resources) out.set(`resources/${r.name}.md`, resourceDoc(r));
  for (const d of dataSources) out.set(`data-sources/${d.name}.md`, dataSourceDoc(d));
  return out;
}
