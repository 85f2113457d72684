/**
 * The package schema and SDK are derived, not written: they match the catalog (CI fails when
 * they are stale), they replace exactly where the Terraform provider replaces, and the
 * example program type-checks against the SDK.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { dataSources, resources, type Attribute, type AttrType } from '@claresia/catalog';
import * as claresia from '@claresia/pulumi';
import { generatedFiles } from '../../pulumi-package/src/codegen/generate.js';
import { diffResource } from '../../pulumi-package/src/provider/diff.js';
import { camel } from '../../pulumi-package/src/names.js';
import { GenericResource as TerraformResource } from '../../provider/src/resource/generic.js';
import { pulumiDir } from './support/engine.js';

const root = path.resolve(pulumiDir, '..');

describe('pulumi package: generated files', () => {
  it('schema.json and src/sdk are what the catalog generates today (else run `npm run generate -w @claresia/pulumi`)', () => {
    const files = generatedFiles();
    for (const [rel, text] of files) {
      assert.equal(readFileSync(path.join(pulumiDir, rel), 'utf8'), text, `${rel} is stale: run npm run generate -w @claresia/pulumi`);
    }
    const onDisk = readdirSync(path.join(pulumiDir, 'src/sdk')).map((f) => `src/sdk/${f}`);
    assert.deepEqual(onDisk.filter((f) => !files.has(f)), [], 'SDK files of resources no longer in the catalog');
    assert.match(readFileSync(path.join(pulumiDir, 'src/sdk/tenant.ts'), 'utf8').split('\n')[0]!, /^\/\/ Generated .*npm run generate -w @claresia\/pulumi/);
  });

  it('every catalog resource is in the schema and the SDK, with camelCase names, secrets and required inputs', () => {
    const schema = JSON.parse(readFileSync(path.join(pulumiDir, 'schema.json'), 'utf8'));
    for (const def of resources) {
      const spec = schema.resources[`claresia:index:${def.title}`];
      assert.ok(spec, `${def.name} in schema.json`);
      const cls = (claresia as Record<string, any>)[def.title];
      assert.equal(cls?.__pulumiType, `claresia:index:${def.title}`, `${def.title} class exported`);
      for (const [name, a] of Object.entries(def.attributes)) {
        if (name === 'id') continue;
        const p = camel(name);
        const input = a.mode !== 'computed';
        assert.equal(p in spec.inputProperties, input, `${def.name}.${name} as input`);
        assert.equal(p in spec.properties, !a.writeOnly, `${def.name}.${name} as output`);
        const prop = spec.inputProperties[p] ?? spec.properties[p];
        assert.equal(!!prop.secret, !!(a.sensitive || a.writeOnly || a.returnedOnce), `${def.name}.${name} secret`);
        assert.equal(spec.requiredInputs.includes(p), a.mode === 'required', `${def.name}.${name} required`);
      }
    }
    for (const def of dataSources) {
      const fn = schema.functions[`claresia:index:get${def.title}`];
      assert.ok(fn, `${def.name} as a function`);
      assert.deepEqual(Object.keys(fn.outputs.properties).sort(), Object.keys(def.attributes).map(camel).sort());
      assert.equal(typeof (claresia as Record<string, any>)[`get${def.title}`], 'function');
      assert.equal(typeof (claresia as Record<string, any>)[`get${def.title}Output`], 'function');
    }
    assert.deepEqual(Object.keys(schema.config.variables), ['endpoint', 'token', 'clientId', 'clientSecret']);
    assert.equal(schema.config.variables.token.secret, true);
  });
});

/** Two distinct values of an attribute's type, valid enough for a plan. */
function sample(t: AttrType, a: Attribute, second: boolean): any {
  if (typeof t === 'string') {
    if (t === 'boolean') return second;
    if (t === 'number' || t === 'integer') return second ? 2 : 1;
    return a.enum ? a.enum[second ? 1 % a.enum.length : 0] : second ? 'two' : 'one';
  }
  if ('list' in t) return [sample(t.list, a, second)];
  if ('set' in t) return [sample(t.set, a, second)];
  if ('map' in t) return { k: sample(t.map, a, second) };
  return Object.fromEntries(Object.entries(t.object).map(([k, f]) => [k, sample(f.type, f, second)]));
}

describe('pulumi diff replaces exactly where the Terraform provider replaces', () => {
  for (const def of resources) {
    it(def.name, () => {
      const tf = new TerraformResource(def);
      const base: Record<string, any> = {};
      for (const [name, a] of Object.entries(def.attributes)) base[name] = a.mode === 'computed' ? `computed-${name}` : sample(a.type, a, false);
      for (const [name, a] of Object.entries(def.attributes)) {
        if (a.mode === 'computed' || a.writeOnly) continue;
        if (a.enum && a.enum.length < 2) continue;
        const changed = { ...base, [name]: sample(a.type, a, true) };
        const planned = tf.plan({ ...base, timeouts: null }, { ...changed, timeouts: null }, { ...changed, timeouts: null });
        const tfReplaces = planned.requiresReplace.map((p) => p[0]);
        const camelize = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
        const inputsOf = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).filter(([k]) => def.attributes[k]!.mode !== 'computed'));
        const d = diffResource(def, camelize(base), camelize(inputsOf(changed)), camelize(inputsOf(base)));
        assert.deepEqual(d.changes.map((c) => c.property), [camel(name)], `${def.name}.${name} is the one change`);
        assert.deepEqual(d.changes.filter((c) => c.replace).map((c) => c.property), tfReplaces.map((n) => camel(String(n))), `${def.name}.${name}: Terraform replaces on [${tfReplaces.join(', ')}]`);
      }
    });
  }
});

describe('examples/pulumi-ts', () => {
  function typeCheck(extra?: { file: string; text: string }): string[] {
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const host = ts.createCompilerHost(parsed.options);
    if (extra) {
      const { getSourceFile, fileExists } = host;
      host.fileExists = (f) => f === extra.file || fileExists(f);
      host.getSourceFile = (f, lang, ...rest) => (f === extra.file ? ts.createSourceFile(f, extra.text, lang) : getSourceFile(f, lang, ...rest));
    }
    const files = [path.join(root, 'examples/pulumi-ts/index.ts'), ...(extra ? [extra.file] : [])];
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true }, host);
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it('type-checks against the SDK', function () {
    this.timeout(60_000);
    assert.deepEqual(typeCheck(), []);
  });

  it('and the type check catches a wrong enum value and a missing required argument', function () {
    this.timeout(60_000);
    const file = path.join(root, 'examples/pulumi-ts/__typecheck_probe__.ts');
    const text = `import * as claresia from '@claresia/pulumi';\nnew claresia.Tenant('x', { slug: 'x', displayName: 'x', region: 'moon-1', deploymentMode: 'B', billingContact: 'b@x.example' });\nnew claresia.Hub('h', { region: 'eu-west-1' });\n`;
    const errors = typeCheck({ file, text });
    assert.ok(errors.some((e) => /"moon-1"/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /Property 'mode' is missing/.test(e)), errors.join('\n'));
  });
});
