/**
 * Runs the real `terraform` binary against the real provider (bin/terraform-provider-claresia,
 * freshly bundled) in a temporary working directory with a CLI config of its own: dev_overrides
 * for plan/apply, or a filesystem mirror when `init` is wanted. No registry is ever contacted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMirror } from '../../../provider/scripts/mirror.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const providerDir = path.join(repoRoot, 'provider');

let built: Promise<void> | undefined;

/** Bundles the provider once per test run, so tests exercise what ships. */
export function buildProvider(): Promise<void> {
  built ??= new Promise((resolve, reject) =>
    execFile(process.execPath, [path.join(providerDir, 'build.mjs')], { cwd: providerDir }, (err, _o, stderr) => (err ? reject(new Error(`build failed: ${stderr}`)) : resolve())),
  );
  return built;
}

export interface TfResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Workspace {
  dir: string;
  env: Record<string, string>;
  write(file: string, content: string): void;
  tf(...args: string[]): Promise<TfResult>;
  /** Like tf, but throws with Terraform's output when the exit code is not the expected one. */
  ok(args: string[], expectCode?: number): Promise<TfResult>;
  state(): any;
  close(): void;
}

export interface WorkspaceOptions {
  env?: Record<string, string>;
  /** `filesystem_mirror` (for `terraform init` and modules) instead of dev_overrides. */
  mirror?: boolean;
}

export function workspace(opts: WorkspaceOptions = {}): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-tf-'));
  const cliConfig = path.join(dir, '.terraformrc');
  if (opts.mirror) {
    // The same layout users get from `npm run mirror -w @claresia/terraform-provider`.
    writeFileSync(cliConfig, writeMirror(path.join(dir, '.mirror')).cliConfig);
  } else {
    writeFileSync(cliConfig, `provider_installation {\n  dev_overrides {\n    "claresia/claresia" = "${path.join(providerDir, 'bin')}"\n  }\n  direct {}\n}\n`);
  }
  const env: Record<string, string> = {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: dir,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_INPUT: '0',
    ...(process.env.TF_LOG ? { TF_LOG: process.env.TF_LOG, TF_LOG_PATH: process.env.TF_LOG_PATH ?? path.join(dir, 'tf.log') } : {}),
    ...opts.env,
  };
  const ws: Workspace = {
    dir,
    env,
    write(file, content) {
      writeFileSync(path.join(dir, file), content);
    },
    tf(...args) {
      return new Promise((resolve) =>
        execFile('terraform', [...args.slice(0, 1), ...(args[0] === 'show' || args[0] === 'output' || args[0] === 'state' || args[0] === 'version' ? [] : ['-no-color']), ...args.slice(1)], { cwd: dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    },
    async ok(args, expectCode = 0) {
      const r = await ws.tf(...args);
      if (r.code !== expectCode) throw new Error(`terraform ${args.join(' ')} exited ${r.code} (expected ${expectCode})\n${r.stdout}\n${r.stderr}`);
      return r;
    },
    state() {
      const f = path.join(dir, 'terraform.tfstate');
      return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}

export const providerBlock = `terraform {
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}
`;
