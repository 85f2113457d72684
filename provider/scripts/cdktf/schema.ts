/**
 * The provider's own schema, as `terraform providers schema -json` prints it for the build in
 * provider/dist: Terraform starts the provider through dev_overrides, so nothing is fetched and
 * the bindings describe exactly what this checkout serves.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const providerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The address users write in required_providers (see provider/docs/index.md). */
export const SOURCE = 'claresia/claresia';
export const FULL_SOURCE = `registry.terraform.io/${SOURCE}`;

/** A CLI config that runs this checkout's provider without `terraform init`. */
export function devOverridesConfig(): string {
  return `provider_installation {\n  dev_overrides {\n    "${SOURCE}" = "${path.join(providerDir, 'bin')}"\n  }\n  direct {}\n}\n`;
}

/** Environment for a terraform run confined to `dir` (its own HOME and CLI config, no checkpoint calls). */
export function terraformEnv(dir: string, cliConfig: string): NodeJS.ProcessEnv {
  return {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: dir,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    CLARESIA_NODE: process.execPath,
  };
}

export async function readProviderSchema(): Promise<unknown> {
  if (!existsSync(path.join(providerDir, 'dist/provider.cjs'))) {
    throw new Error('provider/dist/provider.cjs is missing: run `npm run build -w @claresia/terraform-provider` first');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-cdktf-schema-'));
  try {
    const cliConfig = path.join(dir, '.terraformrc');
    writeFileSync(cliConfig, devOverridesConfig());
    writeFileSync(path.join(dir, 'main.tf'), `terraform {\n  required_providers {\n    claresia = { source = "${SOURCE}" }\n  }\n}\n`);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('terraform', ['providers', 'schema', '-json'], { cwd: dir, env: terraformEnv(dir, cliConfig), maxBuffer: 64 << 20 }, (err, out, stderr) =>
        err ? reject(new Error(`terraform providers schema -json failed: ${err.message}\n${stderr}`)) : resolve(out),
      ),
    );
    const schema = JSON.parse(stdout);
    if (!schema?.provider_schemas?.[FULL_SOURCE]) {
      throw new Error(`terraform printed no schema for ${FULL_SOURCE} (found: ${Object.keys(schema?.provider_schemas ?? {}).join(', ') || 'none'})`);
    }
    return schema;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
