/**
 * Runs a root module from examples/ with the real terraform, installed through `terraform init`
 * from a filesystem mirror of this checkout's provider. The examples and the module are copied
 * into the workspace with their layout (examples/<name> next to modules/), so the relative
 * module source resolves and nothing is written into the checkout; each workspace has its own
 * CLI config, so suites can run in parallel.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, workspace, type TfResult, type Workspace } from '../provider/support/terraform.js';

export interface ExampleWorkspace {
  ws: Workspace;
  /** The example's directory inside the workspace, where terraform runs. */
  dir: string;
  env: Record<string, string>;
  tf(...args: string[]): Promise<TfResult>;
  ok(args: string[], expectCode?: number): Promise<TfResult>;
  outputs(): Promise<Record<string, any>>;
  state(): any;
  close(): void;
}

const copyable = (src: string) => !/(^|\/)(\.terraform|\.terraform\.lock\.hcl|terraform\.tfstate(\.backup)?)$/.test(src);

export function exampleWorkspace(name: string, env: Record<string, string> = {}): ExampleWorkspace {
  const ws = workspace({ mirror: true, env });
  cpSync(path.join(repoRoot, 'examples'), path.join(ws.dir, 'examples'), { recursive: true, filter: copyable });
  cpSync(path.join(repoRoot, 'modules'), path.join(ws.dir, 'modules'), { recursive: true, filter: copyable });
  const dir = path.join(ws.dir, 'examples', name);
  const ex: ExampleWorkspace = {
    ws,
    dir,
    env: ws.env,
    tf(...args) {
      const colour = ['output', 'show', 'version'].includes(args[0]!) ? [] : ['-no-color'];
      return new Promise((resolve) =>
        execFile('terraform', [args[0]!, ...colour, ...args.slice(1)], { cwd: dir, env: ws.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    },
    async ok(args, expectCode = 0) {
      const r = await ex.tf(...args);
      if (r.code !== expectCode) throw new Error(`terraform ${args.join(' ')} in ${name} exited ${r.code} (expected ${expectCode})\n${r.stdout}\n${r.stderr}`);
      return r;
    },
    async outputs() {
      const out = JSON.parse((await ex.ok(['output', '-json'])).stdout) as Record<string, { value: unknown }>;
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value]));
    },
    state() {
      const f = path.join(dir, 'terraform.tfstate');
      return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
    },
    close: () => ws.close(),
  };
  return ex;
}

/** The managed resources in an example's state, as "module.tenant.claresia_hub.this" addresses. */
export function managedAddresses(state: any): string[] {
  return (state?.resources ?? [])
    .filter((r: any) => r.mode === 'managed')
    .flatMap((r: any) => r.instances.map((i: any) => `${r.module ? r.module + '.' : ''}${r.type}.${r.name}${i.index_key === undefined ? '' : `[${JSON.stringify(i.index_key)}]`}`));
}
