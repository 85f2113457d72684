/**
 * The SDK's output types as a user's program meets them: a program file in a directory of its
 * own, compiled by `tsc` under a strict tsconfig, with `@claresia/pulumi` resolved from
 * node_modules as an installed package is. Besides a hand-written program, one is generated
 * from the catalog that walks into every list, set, map and enum of every resource output and
 * data-source result, so a type the generator gets wrong for a shape no attribute uses yet
 * fails here too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dataSources, resources, type Attribute, type AttrType } from '@claresia/catalog';
import { camel } from '../../pulumi-package/src/names.js';
import { pulumiDir } from './support/engine.js';

const root = path.resolve(pulumiDir, '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * A project directory as a user would have it, its files by name (the first is the entry point);
 * tsc's diagnostics, one a line, or [] when it compiles.
 */
async function compile(files: Record<string, string>, opts: { installed?: boolean } = {}): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'claresia-sdk-types-'));
  try {
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      // The workspace package exposes its TypeScript source under this condition; a program that
      // installed the package has no such condition and gets the built declarations.
      ...(opts.installed ? {} : { customConditions: ['source'] }),
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: Object.keys(files) }));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'sdk-types-probe', private: true, type: 'module' }));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    try {
      await promisify(execFile)(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      return [];
    } catch (e) {
      const out = String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
      const lines = out.split('\n').filter((l) => l.trim());
      return lines.length ? lines : [String(e)];
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let counter = 0;
/**
 * Statements that use `expr` (of type `t`, or undefined when `optional`) the way a program
 * would: iterate lists and sets, walk map values and object fields, and hold enum values in
 * variables of exactly the enum's literals, so a wrong element type or a widened enum fails.
 */
function uses(a: Attribute, t: AttrType, expr: string, optional: boolean): string {
  if (optional) return `if (${expr} !== undefined) {\n${uses(a, t, expr, false)}}\n`;
  const v = `v${++counter}`;
  if (typeof t === 'string') {
    const type = t === 'string' && a.enum ? a.enum.map((e) => JSON.stringify(e)).join(' | ') : t === 'integer' ? 'number' : t;
    return `const ${v}: ${type} = ${expr};\nvoid ${v};\n`;
  }
  if ('list' in t || 'set' in t) {
    const inner = 'list' in t ? t.list : t.set;
    return `const ${v} = ${expr}.map((e) => e);\nfor (const e of ${v}) {\n${uses(a, inner, 'e', false)}}\n`;
  }
  if ('map' in t) return `for (const [k, e] of Object.entries(${expr})) {\nconst ${v}: string = k;\nvoid ${v};\n${uses(a, t.map, 'e', false)}}\n`;
  // Data-source results mark every nested field optional; resource outputs use the catalog's mode.
  return Object.entries(t.object)
    .map(([n, f]) => `{\nconst ${v} = ${expr};\n${uses(f, f.type, `${v}.${camel(n)}`, true)}}\n`)
    .join('');
}

/** A program touching every output of every resource and every field of every data-source result. */
function catalogProgram(): string {
  let s = `import * as pulumi from '@pulumi/pulumi';\nimport * as claresia from '@claresia/pulumi';\n\n`;
  for (const def of resources) {
    s += `export function use${def.title}(r: claresia.${def.title}): pulumi.Output<unknown>[] {\n  return [\n`;
    for (const [n, a] of Object.entries(def.attributes)) {
      if (n === 'id' || a.writeOnly) continue;
      s += `    r.${camel(n)}.apply((x) => {\n${uses(a, a.type, 'x', true)}return null;\n}),\n`;
    }
    s += `  ];\n}\n\n`;
  }
  for (const def of dataSources) {
    s += `export function useGet${def.title}(r: claresia.Get${def.title}Result): void {\n`;
    for (const [n, a] of Object.entries(def.attributes)) s += uses(a, a.type, `r.${camel(n)}`, a.mode !== 'required');
    s += `}\n\n`;
  }
  return s;
}

const webhookProgram = `import * as pulumi from '@pulumi/pulumi';
import * as claresia from '@claresia/pulumi';

const wh = new claresia.Webhook('wh', { url: 'https://hooks.example.com/x', events: ['user.created', 'user.deactivated'], secret: 'a-secret-of-16-chars' });
export const upper: pulumi.Output<string[]> = wh.events.apply((es) => es.map((e) => e.toUpperCase()));
export const first = wh.events.apply((es) => es.find((e) => e === 'user.created'));
export const copy = new claresia.Webhook('copy', { url: 'https://hooks.example.com/y', events: wh.events, secret: 'a-secret-of-16-chars' });
`;

describe('pulumi SDK types in a user program (tsc)', function () {
  this.timeout(180_000);
  // One tsc run for both programs: each loads the Pulumi SDK's types, which is most of the time.
  let errors: string[];
  before(async () => {
    errors = await compile({ 'webhook.ts': webhookProgram, 'catalog.ts': catalogProgram() });
  });
  const of = (file: string) => errors.filter((e) => e.startsWith(`${file}(`) || !/^\w+\.ts\(/.test(e));

  it("a webhook's events output is an array of the event names: map over it, and pass it on as another webhook's events", () => {
    assert.deepEqual(of('webhook.ts'), []);
  });

  it('every list, set, map and enum of every resource output and data-source result has the element type the catalog declares', () => {
    assert.deepEqual(of('catalog.ts'), []);
  });

  it('a program that installed the package (no source condition) gets the same types from the built declarations', async () => {
    // dist/types is written by the package's build, which runs before the tests.
    assert.deepEqual(await compile({ 'webhook.ts': webhookProgram }, { installed: true }), []);
  });

  it('and tsc does refuse a program that uses them wrongly (the check is not vacuous)', async () => {
    const program = `import * as claresia from '@claresia/pulumi';
export function f(wh: claresia.Webhook) {
  return wh.events.apply((es) => es.map((e) => { const n: 'user.created' = e; return n; }));
}
`;
    const wrong = await compile({ 'index.ts': program });
    assert.ok(wrong.some((e) => /^index\.ts\(3,.*error TS2322/.test(e) && /user\.updated/.test(e)), wrong.join('\n'));
  });
});
