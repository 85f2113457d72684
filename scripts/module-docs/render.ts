/**
 * The inputs and outputs tables of a module's README, from its variables*.tf and outputs.tf.
 * They replace what lies between the BEGIN/END markers, so the rest of the README is prose we
 * write by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeString, parseHcl, type Block } from './hcl.js';

export const COMMAND = 'npm run docs:module';
export const BEGIN = `<!-- BEGIN GENERATED from variables.tf, variables-catalog.tf and outputs.tf by \`${COMMAND}\`; do not edit until END -->`;
export const END = '<!-- END GENERATED -->';

export interface Variable {
  name: string;
  description: string;
  type: string;
  default?: string;
  required: boolean;
  sensitive: boolean;
  ephemeral: boolean;
  rules: string[];
}

export interface Output {
  name: string;
  description: string;
  sensitive: boolean;
}

function described(b: Block, file: string): string {
  const d = b.body.attributes.description;
  if (d === undefined) throw new Error(`${file}:${b.line}: ${b.type} "${b.labels[0]}" has no description`);
  return decodeString(d);
}

const flag = (b: Block, name: string) => b.body.attributes[name]?.trim() === 'true';

export function readVariables(file: string): Variable[] {
  return parseHcl(readFileSync(file, 'utf8'))
    .blocks.filter((b) => b.type === 'variable')
    .map((b) => {
      const a = b.body.attributes;
      const def = a.default;
      return {
        name: b.labels[0]!,
        description: described(b, file),
        type: a.type ?? 'any',
        ...(def !== undefined ? { default: def } : {}),
        required: def === undefined,
        sensitive: flag(b, 'sensitive'),
        ephemeral: flag(b, 'ephemeral'),
        rules: b.body.blocks.filter((v) => v.type === 'validation').map((v) => decodeString(v.body.attributes.error_message ?? '""')),
      };
    });
}

export function readOutputs(file: string): Output[] {
  return parseHcl(readFileSync(file, 'utf8'))
    .blocks.filter((b) => b.type === 'output')
    .map((b) => ({ name: b.labels[0]!, description: described(b, file), sensitive: flag(b, 'sensitive') }));
}

/** A multi-line type or default on one table line: newlines become `<br>` inside <pre>. */
function code(expr: string): string {
  const lines = expr.split('\n').map((l) => l.replace(/\s+$/, ''));
  const indent = Math.min(...lines.slice(1).filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length), Infinity);
  const shown = lines.map((l, i) => (i === 0 || indent === Infinity ? l : l.slice(indent - 2)));
  const escaped = shown.map((l) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;'));
  return escaped.length === 1 ? `\`${shown[0]!.replace(/\|/g, '\\|')}\`` : `<pre>${escaped.join('<br>')}</pre>`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The variables of variables-catalog.tf (generated from the catalog by `npm run variables:module`)
 * and of variables.tf if there is one, in the order main.tf first uses them, which is the order of the
 * runbook; one main.tf does not use comes last.
 */
export function readModuleVariables(moduleDir: string): Variable[] {
  const vars = variableFiles(moduleDir).flatMap((f) => readVariables(path.join(moduleDir, f)));
  const main = readFileSync(path.join(moduleDir, 'main.tf'), 'utf8');
  const firstUse = (name: string) => {
    const m = new RegExp(`\\bvar\\.${name}\\b`).exec(main);
    return m ? m.index : Infinity;
  };
  return vars.sort((a, b) => firstUse(a.name) - firstUse(b.name));
}

/** variables-catalog.tf (generated) and, when the module has variables of its own, variables.tf. */
export function variableFiles(moduleDir: string): string[] {
  return readdirSync(moduleDir).filter((f) => /^variables.*\.tf$/.test(f)).sort();
}

export function renderTables(moduleDir: string): string {
  const vars = readModuleVariables(moduleDir);
  const outs = readOutputs(path.join(moduleDir, 'outputs.tf'));
  const out: string[] = [BEGIN, '', '## Inputs', '', '| Name | Description | Type | Default | Required |', '|------|-------------|------|---------|:--------:|'];
  for (const v of vars) {
    const notes = [v.sensitive ? 'Sensitive.' : '', v.ephemeral ? 'Ephemeral.' : ''].filter(Boolean).join(' ');
    out.push(`| \`${v.name}\` | ${cell(v.description)}${notes ? ' ' + notes : ''} | ${code(v.type)} | ${v.default === undefined ? 'n/a' : code(v.default)} | ${v.required ? 'yes' : 'no'} |`);
  }
  out.push('', '### Validation', '', 'Each input is checked at plan time, before anything is created; these are the messages:', '');
  for (const v of vars) for (const r of v.rules) out.push(`- \`${v.name}\`: ${cell(r)}`);
  out.push('', '## Outputs', '', '| Name | Description | Sensitive |', '|------|-------------|:---------:|');
  for (const o of outs) out.push(`| \`${o.name}\` | ${cell(o.description)} | ${o.sensitive ? 'yes' : 'no'} |`);
  out.push('', END);
  return out.join('\n');
}

/** The README with its generated section replaced; throws when the markers are missing. */
export function withTables(readme: string, tables: string): string {
  const i = readme.indexOf(BEGIN);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error(`the README has no generated section (a line "${BEGIN}" and a line "${END}")`);
  return readme.slice(0, i) + tables + readme.slice(j + END.length);
}
