/**
 * The demo's Terraform side, all under the demo's data dir: the provider built from this
 * checkout into a filesystem mirror, a CLI config that installs only from it (no registry),
 * and a working copy of examples/mode-a next to the module, whose state stays between runs so
 * a second apply changes nothing.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeMirror } from '../../provider/scripts/mirror.mjs';

export interface DemoTerraform {
  /** Where terraform runs: the working copy of examples/mode-a. */
  dir: string;
  cliConfig: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs a command, collecting its output; with `echo`, shows its stdout as it comes, up to a
 * line equal to `echoUntil` (terraform's own "Outputs:" section, which the demo prints itself).
 */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; echo: boolean; echoUntil?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let shown = 0;
    let echoing = opts.echo;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (!echoing) return;
      // Whole lines only, so the stop line is seen even when split across chunks.
      const end = out.lastIndexOf('\n') + 1;
      for (const line of out.slice(shown, end).split(/(?<=\n)/)) {
        if (!line) continue;
        if (opts.echoUntil !== undefined && line.trimEnd() === opts.echoUntil) {
          echoing = false;
          break;
        }
        process.stdout.write(line);
      }
      shown = end;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      if (opts.echo) process.stderr.write(d);
    });
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}${opts.echo ? '' : `\n${out}\n${err}`}`))));
  });
}

/** Write-only attributes (the LLM credentials) need Terraform 1.11; say so before anything starts. */
export async function checkTerraform(): Promise<string> {
  let version: string;
  try {
    version = (JSON.parse(await run('terraform', ['version', '-json'], { cwd: process.cwd(), echo: false })) as { terraform_version: string }).terraform_version;
  } catch {
    throw new Error('terraform was not found on PATH; the demo needs Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install)');
  }
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major < 1 || (major === 1 && minor < 11)) throw new Error(`terraform ${version} is too old; the demo needs 1.11 or later (write-only attributes)`);
  return version;
}

export async function buildProvider(root: string): Promise<void> {
  await run(process.execPath, [path.join(root, 'provider/build.mjs')], { cwd: path.join(root, 'provider'), echo: false });
}

export function prepareTerraform(root: string, dataDir: string, endpoint: string, operatorToken: string): DemoTerraform {
  const tfDir = path.join(dataDir, 'terraform');
  mkdirSync(tfDir, { recursive: true });
  const cliConfig = path.join(tfDir, 'terraformrc');
  writeFileSync(cliConfig, writeMirror(path.join(tfDir, 'mirror')).cliConfig);

  const work = path.join(tfDir, 'work');
  // The module is copied afresh (a file removed from the checkout goes here too); the example's
  // directory keeps its state and .terraform, only its files are refreshed.
  rmSync(path.join(work, 'modules'), { recursive: true, force: true });
  cpSync(path.join(root, 'modules/terraform-claresia-tenant'), path.join(work, 'modules/terraform-claresia-tenant'), {
    recursive: true,
    filter: (src) => !/(^|\/)(\.terraform|\.terraform\.lock\.hcl|terraform\.tfstate(\.backup)?)$/.test(src),
  });
  const dir = path.join(work, 'examples/mode-a');
  cpSync(path.join(root, 'examples/mode-a'), dir, { recursive: true, force: true, filter: (src) => !/(^|\/)(\.terraform|terraform\.tfstate(\.backup)?)$/.test(src) });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    CLARESIA_ENDPOINT: endpoint,
    CLARESIA_TOKEN: operatorToken,
    // Stand-in credentials: connectors stay "untested" until POST .../{id}:test, which the demo does not run.
    TF_VAR_anthropic_api_key: process.env.TF_VAR_anthropic_api_key ?? 'sk-ant-demo-not-a-real-key',
    TF_VAR_slack_bot_token: process.env.TF_VAR_slack_bot_token ?? 'xoxb-demo-not-a-real-token',
  };
  for (const k of ['CLARESIA_CLIENT_ID', 'CLARESIA_CLIENT_SECRET']) delete env[k];
  return { dir, cliConfig, env };
}

export async function terraform(tf: DemoTerraform, args: string[], echo: boolean): Promise<string> {
  return run('terraform', args, { cwd: tf.dir, env: tf.env, echo, echoUntil: 'Outputs:' });
}
