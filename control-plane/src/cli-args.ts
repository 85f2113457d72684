import { parseArgs } from 'node:util';
import { CliError } from './cli-error.js';

export interface CommandSpec {
  /** Long option names (without "--") and whether each takes a value. */
  options: Record<string, 'string' | 'boolean'>;
  /** Names of the positional arguments, all required, in order. */
  positionals?: string[];
}

export type ParsedArgs = { help: true } | { help: false; values: Record<string, string | boolean | undefined>; positionals: string[] };

/**
 * One command's arguments, checked before the command does anything: a command that ran on
 * an argument it did not understand (`migrate --help` migrating, `verify-audit --tenat x`
 * checking every tenant) would do something other than what was asked. -h/--help anywhere
 * wins, so asking for usage never acts. Anything else unknown is a CliError with exit 2.
 */
export function parseCommandArgs(args: string[], spec: CommandSpec): ParsedArgs {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, type]) => [name, { type }]));
  // Not strict: node's own messages do not name the option in a form worth keeping, and it
  // would take "--tenant --json" as a tenant called "--json"; the tokens are checked below.
  const { tokens } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true };
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const wanted = spec.positionals ?? [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      if (positionals.length >= wanted.length) throw new CliError(`unexpected argument "${t.value}"`, 2, { usage: true });
      positionals.push(t.value);
      continue;
    }
    const type = spec.options[t.name];
    if (!type) throw new CliError(`unknown option "${t.rawName}"`, 2, { usage: true });
    if (type === 'boolean') {
      if (t.value !== undefined) throw new CliError(`${t.rawName} takes no value`, 2, { usage: true });
      values[t.name] = true;
      continue;
    }
    if (!t.value || (!t.inlineValue && t.value.startsWith('-') && t.value !== '-')) {
      throw new CliError(`${t.rawName} needs a value`, 2, { usage: true });
    }
    values[t.name] = t.value;
  }
  if (positionals.length < wanted.length) throw new CliError(`${wanted[positionals.length]} is required`, 2, { usage: true });
  return { help: false, values, positionals };
}
