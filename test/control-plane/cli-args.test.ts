import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds, freshDatabase, type TestDatabase } from '../support/db.js';

const COMMANDS = ['serve', 'migrate', 'verify-audit', 'health', 'roster-import'];

/**
 * The CLI as an operator runs it. The timeout only stops a command that should have exited at
 * once but went on serving (what `serve --help` used to do); no assertion depends on timing.
 */
function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', ...args], {
    env: { PATH: process.env.PATH!, NO_COLOR: '1', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

for (const kind of dbKinds()) {
  describe(`claresia-control-plane: each command checks its arguments before it acts (review r4 F3) [${kind}]`, function () {
    this.timeout(180_000);
    let dir: string;
    let env: Record<string, string>;
    let pg: TestDatabase | undefined;
    /** Whether anything reached the database: on PGlite its directory, on PostgreSQL the migrations table. */
    let touched: () => Promise<boolean>;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'claresia-cli-args-'));
      if (kind === 'pg') {
        pg = await freshDatabase('pg');
        env = { DATABASE_URL: pg.url!, CLARESIA_OPERATOR_TOKEN: 'op_cli_args_0123456789', CLARESIA_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'), PORT: '0' };
        touched = () => pg!.db.schema.hasTable('knex_migrations');
      } else {
        const dataDir = path.join(dir, 'data');
        env = { CLARESIA_DATA_DIR: dataDir, PORT: '0' };
        touched = async () => existsSync(dataDir);
      }
    });
    after(async () => {
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('-h and --help print that command\'s usage and exit 0 without opening the database or starting anything', async () => {
      for (const [i, cmd] of COMMANDS.entries()) {
        const help = i % 2 ? '-h' : '--help';
        const r = cli([cmd, help], env);
        assert.equal(r.code, 0, `${cmd} ${help}: ${r.signal ?? ''} ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: claresia-control-plane ${cmd}\\b`), `${cmd} ${help}`);
        assert.equal(r.stderr, '', `${cmd} ${help}`);
      }
      const late = cli(['migrate', '--tenant', 'x', '--help'], env);
      assert.equal(late.code, 0, 'asking for help anywhere prints it, whatever else is on the line');
      assert.equal(await touched(), false, 'no command opened the database');
      const top = cli(['help', 'verify-audit'], env);
      assert.equal(top.code, 0);
      assert.match(top.stdout, /^usage: claresia-control-plane verify-audit \[--tenant ID\]/);
      // No command at all is a mistake (a script's empty variable), not a request for help.
      const none = cli([], env);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /^usage: claresia-control-plane <command>/);
      assert.equal(none.stdout, '');
    });

    it('an unknown option or an argument too many is refused naming it, with the command\'s usage, exit 2, and nothing done', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['migrate', '--dry-run'], /unknown option "--dry-run"/],
        [['migrate', 'now'], /unexpected argument "now"/],
        [['serve', '--port', '9'], /unknown option "--port"/],
        [['verify-audit', '--tenat', 'tnt_x'], /unknown option "--tenat"/],
        [['verify-audit', 'extra'], /unexpected argument "extra"/],
        [['verify-audit', '-t', 'tnt_x'], /unknown option "-t"/],
        [['health', '--bogus'], /unknown option "--bogus"/],
        [['health', '--json=yes'], /--json takes no value/],
        [['roster-import', 'a.csv', 'b.csv'], /unexpected argument "b\.csv"/],
        [['roster-import', 'a.csv', '--replace-all'], /unknown option "--replace-all"/],
      ];
      for (const [args, message] of cases) {
        const r = cli(args, env);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.signal ?? ''} ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^error: ${message.source}\\n\\nusage: claresia-control-plane ${args[0]}\\b`), args.join(' '));
        assert.equal(r.stdout, '', args.join(' '));
      }
      assert.equal(await touched(), false, 'no command opened the database');
    });

    it('a missing value or FILE is a usage error, exit 2, never 1 (which verify-audit keeps for a broken chain)', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['verify-audit', '--tenant'], /--tenant needs a value/],
        [['verify-audit', '--tenant='], /--tenant needs a value/],
        [['verify-audit', '--tenant', '--help-me'], /--tenant needs a value/],
        [['roster-import'], /FILE is required/],
        [['roster-import', '--url', 'http://127.0.0.1:9'], /FILE is required/],
        [['health', '--url'], /--url needs a value/],
      ];
      for (const [args, message] of cases) {
        const r = cli(args, env);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^error: ${message.source}\\n\\nusage: claresia-control-plane ${args[0]}\\b`), args.join(' '));
      }
      const missing = cli(['roster-import', path.join(dir, 'nope.csv')], env);
      assert.equal(missing.code, 2, missing.stderr);
      assert.match(missing.stderr, /^error: cannot read FILE .*nope\.csv \(ENOENT\)/);
      const notFile = cli(['roster-import', dir], env);
      assert.equal(notFile.code, 2, notFile.stderr);
      assert.match(notFile.stderr, /is not a file/);
      assert.equal(await touched(), false);
    });

    it('with the arguments it documents a command still runs: migrate migrates, verify-audit --tenant=ID checks that tenant', async () => {
      const m = cli(['migrate'], env);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, /^applied: /);
      assert.equal(await touched(), true);
      const none = cli(['verify-audit', '--tenant=tnt_nope'], env);
      assert.equal(none.code, 2, none.stderr);
      assert.match(none.stderr, /tenant tnt_nope does not exist/);
      const all = cli(['verify-audit'], env);
      assert.equal(all.code, 0, all.stderr);
    });
  });
}

describe('claresia-control-plane verify-audit: a check that could not run is not a broken chain (review r4 F3)', function () {
  this.timeout(60_000);

  it('exits 2, not 1, when the database cannot be reached or the configuration is refused', () => {
    const base = { CLARESIA_OPERATOR_TOKEN: 'op_cli_args_0123456789', CLARESIA_MASTER_KEY: Buffer.alloc(32, 3).toString('base64') };
    const down = cli(['verify-audit'], { ...base, DATABASE_URL: 'postgres://claresia:claresia@127.0.0.1:1/nowhere' });
    assert.equal(down.code, 2, down.stderr);
    assert.match(down.stderr, /^error: .*ECONNREFUSED/);
    const config = cli(['verify-audit'], { ...base, DATABASE_URL: 'mysql://x/y' });
    assert.equal(config.code, 2, config.stderr);
    assert.match(config.stderr, /^error: DATABASE_URL must be a postgres/);
  });

  it('keeps 1 for a migrate that fails, as before', () => {
    const r = cli(['migrate'], { DATABASE_URL: 'mysql://x/y', CLARESIA_OPERATOR_TOKEN: 'op_cli_args_0123456789', CLARESIA_MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
    assert.equal(r.code, 1, r.stderr);
  });
});
