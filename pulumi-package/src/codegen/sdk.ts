/**
 * TypeScript SDK classes from the catalog: one file per resource (`src/sdk/<name>.ts`) with its
 * class, args and state interfaces, plus the provider resource and an index that registers the
 * package with the Pulumi runtime. Property names and types come from the same place as the
 * package schema, so the SDK and `schema.json` cannot disagree.
 */
import { waitArgumentAttribute, type Attribute, type AttrType, type DataSourceDef, type ResourceDef } from '@claresia/catalog';
import { camel, functionToken, isInput, isSecret, PACKAGE, resourceToken } from '../names.js';
import { PROVIDER_CONFIG } from '../provider-config.js';
import { REGENERATE } from './schema.js';

export const HEADER = `// Generated from the Claresia resource catalog by \`${REGENERATE}\`; do not edit by hand.\n`;

function doc(text: string, indent: string): string {
  const lines = text.replace(/\*\//g, '*\\/').split('\n');
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ' ' + l : ''}`).join('\n')}\n${indent} */\n`;
}

/** The TypeScript type of an attribute; `input` wraps every level in pulumi.Input. */
function tsType(a: Attribute, t: AttrType, input: boolean): string {
  return typeOf(a, t, input).text;
}

/**
 * A type as text, and whether that text is a bare union (an enum): `[]` binds tighter than `|`,
 * so a union must be parenthesised where it becomes an element, or `"a" | "b"[]` would read as
 * "a, or an array of b".
 */
function typeOf(a: Attribute, t: AttrType, input: boolean): { text: string; union: boolean } {
  const wrap = (text: string, union = false) => (input ? { text: `pulumi.Input<${text}>`, union: false } : { text, union });
  if (typeof t === 'string') {
    if (t === 'string' && a.enum) return wrap(a.enum.map((e) => JSON.stringify(e)).join(' | '), a.enum.length > 1);
    return wrap(t === 'integer' ? 'number' : t);
  }
  const element = (e: AttrType) => {
    const inner = typeOf(a, e, input);
    return inner.union ? `(${inner.text})` : inner.text;
  };
  if ('list' in t) return wrap(`${element(t.list)}[]`);
  if ('set' in t) return wrap(`${element(t.set)}[]`);
  if ('map' in t) return wrap(`{ [key: string]: ${tsType(a, t.map, input)} }`);
  const fields = Object.entries(t.object).map(([n, f]) => `${camel(n)}${f.mode === 'required' ? '' : '?'}: ${tsType(f, f.type, input)}`);
  return wrap(`{ ${fields.join('; ')} }`);
}

function propertyDoc(a: Attribute): string {
  let d = a.description;
  if (a.writeOnly) d += ' Write-only: sent to the API, never read back.';
  if (a.forceNew) d += ' Changing it replaces the resource.';
  if (a.default !== undefined) d += ` Defaults to ${JSON.stringify(a.default)}.`;
  return d;
}

function outputAttrs(def: ResourceDef): Array<[string, Attribute]> {
  return Object.entries(def.attributes).filter(([n, a]) => n !== 'id' && !a.writeOnly);
}

function inputAttrs(def: ResourceDef): Array<[string, Attribute]> {
  const wait = waitArgumentAttribute(def);
  return [...Object.entries(def.attributes).filter(([n, a]) => n !== 'id' && isInput(a)), ...(wait ? [wait] : [])];
}

export function resourceFile(def: ResourceDef): string {
  const T = def.title;
  const outs = outputAttrs(def);
  const ins = inputAttrs(def);
  const secretOuts = outs.filter(([, a]) => isSecret(a)).map(([n]) => camel(n));
  const always = (a: Attribute) => a.mode === 'required' || (a.mode === 'optional_computed' && a.default !== undefined);
  let s = HEADER + `import * as pulumi from '@pulumi/pulumi';\nimport { resourceOptsDefaults } from '../options.js';\n\n`;
  s += doc(`${def.description}\n\nImport ID: \`${def.importId.format}\`${def.importId.what ? ` (${def.importId.what})` : ''}, for example \`${def.importId.example}\`.`, '');
  s += `export class ${T} extends pulumi.CustomResource {\n`;
  s += `  /** @internal */\n  public static readonly __pulumiType = '${resourceToken(def)}';\n\n`;
  s += `  /** An existing ${T}, looked up by its id (${def.importId.format}); \`state\` narrows the lookup. */\n`;
  s += `  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: ${T}State, opts?: pulumi.CustomResourceOptions): ${T} {\n`;
  s += `    return new ${T}(name, state as ${T}Args, { ...opts, id });\n  }\n\n`;
  s += `  /** True when obj is a ${T}, even one created by another copy of this SDK. */\n`;
  s += `  public static override isInstance(obj: unknown): obj is ${T} {\n`;
  s += `    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === ${T}.__pulumiType;\n  }\n\n`;
  for (const [n, a] of outs) {
    s += doc(propertyDoc(a), '  ');
    // `declare`: a class field would overwrite the Output the base constructor assigned.
    s += `  declare public readonly ${camel(n)}: pulumi.Output<${tsType(a, a.type, false)}${always(a) ? '' : ' | undefined'}>;\n`;
  }
  s += `\n  constructor(name: string, args: ${T}Args, opts?: pulumi.CustomResourceOptions);\n`;
  s += `  constructor(name: string, argsOrState?: ${T}Args | ${T}State, opts?: pulumi.CustomResourceOptions) {\n`;
  s += `    const inputs: pulumi.Inputs = {};\n    opts = opts || {};\n    if (opts.id) {\n      const state = argsOrState as ${T}State | undefined;\n`;
  for (const [n] of outs) s += `      inputs['${camel(n)}'] = state?.${camel(n)};\n`;
  s += `    } else {\n      const args = argsOrState as ${T}Args | undefined;\n`;
  for (const [n, a] of ins) {
    if (a.mode === 'required') s += `      if (args?.${camel(n)} === undefined && !opts.urn) throw new Error("Missing required property '${camel(n)}'");\n`;
  }
  for (const [n, a] of ins) {
    const p = camel(n);
    s += isSecret(a) ? `      inputs['${p}'] = args?.${p} !== undefined ? pulumi.secret(args.${p}) : undefined;\n` : `      inputs['${p}'] = args?.${p};\n`;
  }
  for (const [n, a] of outs) if (!isInput(a)) s += `      inputs['${camel(n)}'] = undefined;\n`;
  s += `    }\n    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);\n`;
  if (secretOuts.length) s += `    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: ${JSON.stringify(secretOuts).replace(/"/g, "'").replace(/,/g, ', ')} });\n`;
  s += `    super(${T}.__pulumiType, name, inputs, opts);\n  }\n}\n\n`;
  s += `/** The arguments of a ${T}. */\nexport interface ${T}Args {\n`;
  for (const [n, a] of ins) s += doc(propertyDoc(a), '  ') + `  ${camel(n)}${a.mode === 'required' ? '' : '?'}: ${tsType(a, a.type, true)};\n`;
  s += `}\n\n/** What \`${T}.get\` may be given to narrow a lookup. */\nexport interface ${T}State {\n`;
  for (const [n, a] of outs) s += doc(propertyDoc(a), '  ') + `  ${camel(n)}?: ${tsType(a, a.type, true)};\n`;
  s += `}\n`;
  return s;
}

/** A data source as `getX()` (a promise) and `getXOutput()` (an Output), Pulumi's two forms of a function. */
export function functionFile(def: DataSourceDef): string {
  const T = def.title;
  const args = Object.entries(def.attributes).filter(([, a]) => isInput(a));
  const hasArgs = args.length > 0;
  const argsOptional = args.every(([, a]) => a.mode !== 'required');
  const q = argsOptional ? '?' : '';
  let s = HEADER + `import * as pulumi from '@pulumi/pulumi';\nimport { invokeOptsDefaults } from '../options.js';\n\n`;
  const body = () =>
    hasArgs ? `{\n${args.map(([n]) => `    ${camel(n)}: args${argsOptional ? '?' : ''}.${camel(n)},\n`).join('')}  }` : '{}';
  s += doc(def.description, '');
  s += `export function get${T}(${hasArgs ? `args${q}: Get${T}Args, ` : ''}opts?: pulumi.InvokeOptions): Promise<Get${T}Result> {\n`;
  s += `  return pulumi.runtime.invoke('${functionToken(def)}', ${body()}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));\n}\n\n`;
  s += doc(`${def.description}\n\nThe same as get${T}, as an Output: it waits for its arguments and keeps their secrecy and dependencies.`, '');
  s += `export function get${T}Output(${hasArgs ? `args${q}: Get${T}OutputArgs, ` : ''}opts?: pulumi.InvokeOutputOptions): pulumi.Output<Get${T}Result> {\n`;
  s += `  return pulumi.runtime.invokeOutput('${functionToken(def)}', ${body()}, pulumi.mergeOptions(invokeOptsDefaults(), opts ?? {}));\n}\n\n`;
  if (hasArgs) {
    s += `/** The arguments of get${T}. */\nexport interface Get${T}Args {\n`;
    for (const [n, a] of args) s += doc(propertyDoc(a), '  ') + `  ${camel(n)}${a.mode === 'required' ? '' : '?'}: ${tsType(a, a.type, false)};\n`;
    s += `}\n\n/** The arguments of get${T}Output. */\nexport interface Get${T}OutputArgs {\n`;
    for (const [n, a] of args) s += doc(propertyDoc(a), '  ') + `  ${camel(n)}${a.mode === 'required' ? '' : '?'}: ${tsType(a, a.type, true)};\n`;
    s += `}\n\n`;
  }
  s += `/** What get${T} returns. */\nexport interface Get${T}Result {\n`;
  for (const [n, a] of Object.entries(def.attributes)) s += doc(propertyDoc(a), '  ') + `  readonly ${camel(n)}${a.mode === 'required' ? '' : '?'}: ${tsType(a, a.type, false)};\n`;
  s += `}\n`;
  return s;
}

export function providerFile(): string {
  let s = HEADER + `import * as pulumi from '@pulumi/pulumi';\nimport { resourceOptsDefaults } from '../options.js';\n\n`;
  s += doc('The Claresia provider. Without explicit arguments it reads `claresia:*` stack configuration and the CLARESIA_* environment variables.', '');
  s += `export class Provider extends pulumi.ProviderResource {\n  /** @internal */\n  public static readonly __pulumiType = '${PACKAGE}';\n\n`;
  s += `  public static override isInstance(obj: unknown): obj is Provider {\n    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === 'pulumi:providers:' + Provider.__pulumiType;\n  }\n\n`;
  for (const c of PROVIDER_CONFIG) s += doc(c.description, '  ') + `  declare public readonly ${c.name}: pulumi.Output<string | undefined>;\n`;
  s += `\n  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {\n    const inputs: pulumi.Inputs = {};\n`;
  for (const c of PROVIDER_CONFIG) {
    s += c.secret ? `    inputs['${c.name}'] = args?.${c.name} !== undefined ? pulumi.secret(args.${c.name}) : undefined;\n` : `    inputs['${c.name}'] = args?.${c.name};\n`;
  }
  s += `    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);\n`;
  const secrets = PROVIDER_CONFIG.filter((c) => c.secret).map((c) => `'${c.name}'`);
  s += `    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: [${secrets.join(', ')}] });\n`;
  s += `    super(Provider.__pulumiType, name, inputs, opts);\n  }\n}\n\n`;
  s += `/** The arguments of a Provider. */\nexport interface ProviderArgs {\n`;
  for (const c of PROVIDER_CONFIG) s += doc(`${c.description} Defaults to the ${c.env} environment variable.`, '  ') + `  ${c.name}?: pulumi.Input<string | undefined>;\n`;
  s += `}\n`;
  return s;
}

export function indexFile(resources: readonly ResourceDef[], dataSources: readonly DataSourceDef[]): string {
  let s = HEADER + `import * as pulumi from '@pulumi/pulumi';\nimport { VERSION } from '../version.js';\n`;
  for (const def of resources) s += `import { ${def.title} } from './${def.name}.js';\n`;
  s += `import { Provider } from './provider.js';\n\n`;
  for (const def of resources) s += `export { ${def.title}, type ${def.title}Args, type ${def.title}State } from './${def.name}.js';\n`;
  for (const def of dataSources) {
    const T = def.title;
    const hasArgs = Object.values(def.attributes).some(isInput);
    s += `export { get${T}, get${T}Output, type Get${T}Result${hasArgs ? `, type Get${T}Args, type Get${T}OutputArgs` : ''} } from './get_${def.name}.js';\n`;
  }
  s += `export { Provider, type ProviderArgs } from './provider.js';\n\n`;
  s += `// Lets the runtime rebuild resource references (e.g. outputs of a stack reference) as SDK objects.\n`;
  s += `pulumi.runtime.registerResourceModule('${PACKAGE}', 'index', {\n  version: VERSION,\n  construct(name: string, type: string, urn: string): pulumi.Resource {\n    switch (type) {\n`;
  for (const def of resources) s += `      case '${resourceToken(def)}':\n        return new ${def.title}(name, undefined as never, { urn });\n`;
  s += `      default:\n        throw new Error(\`unknown resource type \${type}\`);\n    }\n  },\n});\n`;
  s += `pulumi.runtime.registerResourcePackage('${PACKAGE}', {\n  version: VERSION,\n  constructProvider(name: string, type: string, urn: string): pulumi.ProviderResource {\n`;
  s += `    if (type !== 'pulumi:providers:${PACKAGE}') throw new Error(\`unknown provider type \${type}\`);\n    return new Provider(name, undefined, { urn });\n  },\n});\n`;
  return s;
}

/** Every generated SDK file, by path relative to pulumi-package/. */
export function sdkFiles(resources: readonly ResourceDef[], dataSources: readonly DataSourceDef[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of resources) files.set(`src/sdk/${def.name}.ts`, resourceFile(def));
  for (const def of dataSources) files.set(`src/sdk/get_${def.name}.ts`, functionFile(def));
  files.set('src/sdk/provider.ts', providerFile());
  files.set('src/sdk/index.ts', indexFile(resources, dataSources));
  return files;
}
