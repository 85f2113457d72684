#!/usr/bin/env node
import { statSync } from 'node:fs';
import { loadConfig, type Config } from './config.js';
import { applyHeapGrowth } from './heap-growth.js';
import { migrateLatest } from './db/migrate.js';
import { openConfiguredDatabase, startServer } from './server.js';
import { verifyAndRecord } from './audit/verification.js';
import { KeyRing } from './crypto/keys.js';
import { healthCommand } from './health/cli-table.js';
import { rosterImportCommand } from './roster/cli-import.js';
import { controlPlaneUrl, unreachable } from './health/cli-session.js';
import { parseCommandArgs, type CommandSpec } from './cli-args.js';
import { CliError } from './cli-error.js';

/**
 * Each command's synopsis and what it does, in the words `--help` prints; the top-level usage
 * lists them all. The options a command accepts are the ones in its `spec`, and nothing else.
 */
const COMMANDS: Record<string, { synopsis: string; about: string; spec: CommandSpec; failure: number }> = {
  serve: { synopsis: 'serve', about: 'run the API (migrates first)', spec: { options: {} }, failure: 1 },
  migrate: { synopsis: 'migrate', about: 'apply pending database migrations', spec: { options: {} }, failure: 1 },
  'verify-audit': {
    synopsis: 'verify-audit [--tenant ID]',
    about: `check every tenant's (or one tenant's) governance event chain;
exit 0 when all check out, 1 when one is broken, 2 when the
tenant named does not exist or the check could not run`,
    spec: { options: { tenant: 'string' } },
    // Any failure that is not a verdict on a chain (configuration, the database) is 2, so a
    // scheduled run that alerts on 1 does not report tampering for it.
    failure: 2,
  },
  health: {
    synopsis: 'health [--url URL] [--json]',
    about: `tenant health as a table (exit 1 when red, 2 when it could not
be had); needs CLARESIA_TOKEN or CLARESIA_CLIENT_ID +
CLARESIA_CLIENT_SECRET`,
    spec: { options: { url: 'string', json: 'boolean' } },
    failure: 2,
  },
  'roster-import': {
    synopsis: 'roster-import FILE [--url URL] [--charset LABEL] [--replace [--max-removals N]]',
    about: `stream a roster CSV to POST /api/v1/roster/csv with a progress bar;
--charset names the file's encoding when it is not UTF-8 (an Excel
"CSV (Comma delimited)" export is windows-1252); --replace treats the
file as the whole roster (CSV members it leaves out turn inactive),
refused when that would take off many unless --max-removals allows
that many; exit 1 when the server refuses the file, 2 when the
import could not run`,
    // Every option roster/cli-import.ts reads must be listed here, or it is refused as unknown.
    spec: { options: { url: 'string', charset: 'string', replace: 'boolean', 'max-removals': 'string' }, positionals: ['FILE'] },
    failure: 2,
  },
};

const indent = (text: string, by: number) => text.split('\n').map((l) => ' '.repeat(by) + l).join('\n');

function commandUsage(name: string): string {
  const c = COMMANDS[name]!;
  return `usage: claresia-control-plane ${c.synopsis}\n\n${indent(c.about, 2)}\n\nconfiguration comes from the environment; see README.md.`;
}

const USAGE = `usage: claresia-control-plane <command> [--help]

commands:
${Object.values(COMMANDS)
  .map((c) => (c.synopsis.length <= 26 ? `  ${c.synopsis.padEnd(26)}  ${indent(c.about, 30).trimStart()}` : `  ${c.synopsis}\n${indent(c.about, 30)}`))
  .join('\n')}

configuration comes from the environment; see README.md.`;

async function serve() {
  applyHeapGrowth();
  const config = loadConfig();
  const srv = await startServer(config).catch((err: unknown) => {
    throw listenError(err, config) ?? err;
  });
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.dataDir}`;
  const tokenHint = config.generated.operatorToken ? `the operator token is in ${config.generated.operatorToken}` : 'the operator token is CLARESIA_OPERATOR_TOKEN';
  process.stderr.write(
    `Claresia control plane listening on ${srv.url} (database: ${where})\n` +
      `  ${tokenHint}\n` +
      `  create a tenant:  curl -s -X POST ${srv.url}/api/v1/tenants -H "Authorization: Bearer $(cat ${config.generated.operatorToken ?? '<operator token file>'})" \\\n` +
      `                      -H 'Content-Type: application/json' -d '{"slug":"acme","display_name":"Acme","region":"eu-west-1","deployment_mode":"A","billing_contact":"billing@acme.example"}'\n` +
      `  get a token:      curl -s -X POST ${srv.url}/api/v1/auth/token -H 'Content-Type: application/json' \\\n` +
      `                      -d '{"grant_type":"client_credentials","client_id":"<client_id>","client_secret":"<client_secret>"}'\n` +
      `  API description:  ${srv.url}/api/v1/openapi.json\n`,
  );
  // A signal sent to the process group reaches serve twice, directly and through the launcher
  // (bin/), and Ctrl-C may be pressed again: a repeated signal must not end the drain that the
  // first one started (with no listener left, Node would die at once). SIGKILL still does.
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await srv.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The listen address comes from PORT and HOST; node's errors name neither variable
 * ("getaddrinfo ENOTFOUND x", "listen EADDRINUSE"), so say which one to change.
 */
function listenError(err: unknown, config: Config): Error | undefined {
  const e = err as NodeJS.ErrnoException & { hostname?: string };
  if (e?.syscall === 'getaddrinfo' && e.hostname === config.host) return new Error(`HOST ${config.host} cannot be resolved (${e.code})`);
  if (e?.syscall !== 'listen') return undefined;
  if (e.code === 'EADDRINUSE') return new Error(`PORT ${config.port} is already in use on HOST ${config.host}`);
  if (e.code === 'EADDRNOTAVAIL') return new Error(`HOST ${config.host} is not an address of this machine (EADDRNOTAVAIL)`);
  if (e.code === 'EACCES') return new Error(`PORT ${config.port} on HOST ${config.host} needs privileges this process lacks (EACCES); use a port above 1023`);
  return undefined;
}

async function migrate() {
  const config = loadConfig();
  const db = openConfiguredDatabase(config);
  try {
    const applied = await migrateLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.destroy();
  }
}

async function verifyAudit(only: string | undefined) {
  const config = loadConfig();
  const db = openConfiguredDatabase(config);
  try {
    // Not a verdict on any chain (a typo, a tenant of another database): 2, like a usage error,
    // so a scheduled run that alerts on 1 does not report tampering for it.
    if (only && !(await db('tenants').where({ id: only }).first('id'))) {
      process.stderr.write(`error: tenant ${only} does not exist\n`);
      process.exitCode = 2;
      return;
    }
    const tenants: string[] = only ? [only] : (await db('audit_heads').orderBy('tenant_id').pluck('tenant_id'));
    const keys = new KeyRing(config.masterKey);
    let broken = 0;
    for (const t of tenants) {
      const r = await verifyAndRecord(db, keys, t);
      const gaps = r.legacy_gaps.length ? `; ${r.legacy_gaps.length} format-1 event(s) without a Hub co-signature (legacy gaps): seq ${r.legacy_gaps.join(', ')}` : '';
      if (r.ok) process.stdout.write(`ok      ${t}  ${r.events_checked} events${gaps}\n`);
      else {
        broken++;
        const b = r.first_broken!;
        process.stdout.write(`BROKEN  ${t}  first broken link: seq ${b.seq}${b.id !== null ? ` (event id ${b.id})` : ''}: ${b.reason}\n`);
      }
    }
    process.exitCode = broken ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

/** roster-import's file, checked here so that a wrong path is a usage error, not a failed import. */
function readableFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    throw new CliError(`cannot read FILE ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 2);
  }
  if (!isFile) throw new CliError(`FILE ${file} is not a file`, 2);
}

async function run(cmd: string, args: string[]): Promise<void> {
  const parsed = parseCommandArgs(args, COMMANDS[cmd]!.spec);
  if (parsed.help) {
    process.stdout.write(commandUsage(cmd) + '\n');
    return;
  }
  const { values, positionals } = parsed;
  // The commands below read their options again from an argument list; they get it rebuilt
  // from what was parsed, so --url=X and --url X mean the same to them.
  const rebuilt = Object.entries(values).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === undefined || v === false ? [] : [`--${k}`, v]));
  switch (cmd) {
    case 'serve':
      return serve();
    case 'migrate':
      return migrate();
    case 'verify-audit':
      return verifyAudit(values.tenant as string | undefined);
    case 'health':
      process.exitCode = await healthCommand(rebuilt);
      return;
    case 'roster-import': {
      const url = controlPlaneUrl(rebuilt);
      readableFile(positionals[0]!);
      try {
        process.exitCode = await rosterImportCommand([positionals[0]!, ...rebuilt]);
      } catch (err) {
        throw unreachable(err, url) ?? err;
      }
      return;
    }
  }
}

async function main(argv: string[]) {
  const [cmd, ...rest] = argv;
  if (cmd !== undefined && Object.hasOwn(COMMANDS, cmd)) {
    try {
      return await run(cmd, rest);
    } catch (err) {
      const e = err as Error;
      const code = err instanceof CliError ? err.exitCode : COMMANDS[cmd]!.failure;
      process.stderr.write(`error: ${e.message}\n${err instanceof CliError && err.usage ? `\n${commandUsage(cmd)}\n` : ''}`);
      process.exit(code);
    }
  }
  switch (cmd) {
    case 'help':
      if (rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) {
        process.stdout.write(commandUsage(rest[0]) + '\n');
        return;
      }
      if (rest[0] !== undefined) {
        process.stderr.write(`unknown command "${rest[0]}"\n\n${USAGE}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(USAGE + '\n');
      return;
    case '-h':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return;
    case undefined:
      // No command is a usage error, as for any CLI a script might call with a missing argument.
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = 2;
      return;
    default:
      process.stderr.write(`unknown command "${cmd}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
