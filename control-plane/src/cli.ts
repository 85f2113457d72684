#!/usr/bin/env node
import { loadConfig } from './config.js';
import { applyHeapGrowth } from './heap-growth.js';
import { migrateLatest } from './db/migrate.js';
import { openConfiguredDatabase, startServer } from './server.js';
import { verifyAndRecord } from './audit/verification.js';
import { KeyRing } from './crypto/keys.js';
import { healthCommand } from './health/cli-table.js';
import { rosterImportCommand } from './roster/cli-import.js';

const USAGE = `usage: claresia-control-plane <command>

commands:
  serve                       run the API (migrates first)
  migrate                     apply pending database migrations
  verify-audit [--tenant ID]  check every tenant's (or one tenant's) governance event chain;
                              exit 0 when all check out, 1 when one is broken, 2 when the
                              tenant named does not exist
  health [--url URL] [--json] tenant health as a table (exit 1 when red); needs CLARESIA_TOKEN
                              or CLARESIA_CLIENT_ID + CLARESIA_CLIENT_SECRET
  roster-import FILE [--url URL] [--charset LABEL]
                              stream a roster CSV to POST /api/v1/roster/csv with a progress bar;
                              --charset names the file's encoding when it is not UTF-8 (an Excel
                              "CSV (Comma delimited)" export is windows-1252)

configuration comes from the environment; see README.md.`;

async function serve() {
  applyHeapGrowth();
  const config = loadConfig();
  const srv = await startServer(config);
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
  const stop = async () => {
    await srv.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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

async function verifyAudit(args: string[]) {
  const config = loadConfig();
  const db = openConfiguredDatabase(config);
  try {
    const i = args.indexOf('--tenant');
    const only = i >= 0 ? args[i + 1] : undefined;
    if (i >= 0 && !only) throw new Error('--tenant needs a tenant id');
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

async function main(argv: string[]) {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'serve':
      return serve();
    case 'migrate':
      return migrate();
    case 'verify-audit':
      return verifyAudit(rest);
    case 'health':
      process.exitCode = await healthCommand(rest);
      return;
    case 'roster-import':
      process.exitCode = await rosterImportCommand(rest);
      return;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
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
