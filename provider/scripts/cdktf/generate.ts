/**
 * CDKTF bindings from a provider schema: @cdktf/provider-generator writes TypeScript sources
 * (only those: its jsii packaging step is skipped by passing no options), then postprocess
 * makes them ours. The committed tree is provider/cdktf/providers/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postprocess } from './postprocess.js';
import { devOverridesConfig, providerDir, terraformEnv } from './schema.js';

type Generate = (targetPath: string, schema: unknown) => Promise<void>;
let generator: Promise<Generate> | undefined;

/**
 * @cdktf/commons runs `terraform version` when it loads: give that run a CLI config of its own
 * so it neither complains about the user's nor reads it.
 */
export function loadGenerator(): Promise<Generate> {
  generator ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'claresia-cdktf-load-'));
    const cliConfig = path.join(dir, '.terraformrc');
    writeFileSync(cliConfig, devOverridesConfig());
    const env = terraformEnv(dir, cliConfig);
    const saved = { TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE };
    // The spawn happens synchronously while the module evaluates, so the variables can be put back at once.
    Object.assign(process.env, { TF_CLI_CONFIG_FILE: env.TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE: '1' });
    try {
      const mod = await import('@cdktf/provider-generator');
      return mod.generateProviderBindingsFromSchema as Generate;
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return generator;
}

function readTree(root: string, dir = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of readTree(root, rel)) files.set(k, v);
    else files.set(rel, readFileSync(path.join(root, rel), 'utf8'));
  }
  return files;
}

/** The committed files' contents for this schema, keyed by path under provider/cdktf. */
export async function renderBindings(schema: unknown): Promise<Map<string, string>> {
  const generate = await loadGenerator();
  const scratch = mkdtempSync(path.join(tmpdir(), 'claresia-cdktf-gen-'));
  try {
    await generate(scratch, schema);
    const { files, docTargets } = postprocess(readTree(scratch));
    const missing = [...docTargets].filter((d) => !existsSync(path.join(providerDir, d)));
    if (missing.length) throw new Error(`doc pages the bindings link to are missing (${missing.join(', ')}): run \`npm run docs -w @claresia/terraform-provider\``);
    return files;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Replaces outDir/providers with the bindings, so resources that left the schema leave too. */
export function writeBindings(outDir: string, files: Map<string, string>): void {
  rmSync(path.join(outDir, 'providers'), { recursive: true, force: true });
  for (const [rel, text] of files) {
    mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    writeFileSync(path.join(outDir, rel), text);
  }
}
