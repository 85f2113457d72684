/**
 * The module README's inputs/outputs tables are generated from variables*.tf and outputs.tf
 * (npm run docs:module) and must be current; the small HCL reader behind them reads what we
 * write, and refuses what it does not understand. Also: every validation rule of a variable has
 * at least as many plan-only runs expecting that variable to fail in tests/validation.tftest.hcl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expectedReadme, moduleDir } from '../../scripts/module-docs.js';
import { decodeString, parseHcl } from '../../scripts/module-docs/hcl.js';
import { readModuleVariables, readOutputs } from '../../scripts/module-docs/render.js';
import { repoRoot } from '../provider/support/terraform.js';

describe('terraform-claresia-tenant README and HCL reader', () => {
  it('README tables are current (run npm run docs:module)', () => {
    assert.equal(readFileSync(path.join(moduleDir, 'README.md'), 'utf8'), expectedReadme());
  });

  it('documents every variable and output with its description, type and sensitivity', () => {
    const vars = readModuleVariables(moduleDir);
    const names = vars.map((v) => v.name);
    assert.deepEqual(names, ['tenant', 'sso', 'sso_client_secret', 'scim', 'group_mappings', 'llm_connectors', 'llm_credentials', 'hub', 'hub_ready_after', 'cowork_packs']);
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    assert.equal(byName.tenant!.required, true);
    assert.match(byName.tenant!.type, /^object\(\{\n\s+slug\s+= string/);
    assert.equal(byName.hub!.default, '{}');
    assert.equal(byName.llm_credentials!.sensitive, true);
    assert.equal(byName.llm_credentials!.ephemeral, true);
    assert.equal(byName.tenant!.rules.length, 6);
    const outs = readOutputs(path.join(moduleDir, 'outputs.tf'));
    for (const name of ['tenant_id', 'acs_url', 'audience_uri', 'scim_endpoint_url', 'scim_bearer_token', 'cmek_key_id', 'control_plane_client_certificate', 'control_plane_client_certificate_sha256', 'customer_ca_certificate_sha256', 'mtls_endpoint_url', 'health']) {
      assert.ok(outs.some((o) => o.name === name), `output ${name}`);
    }
    assert.deepEqual(outs.filter((o) => o.sensitive).map((o) => o.name).sort(), ['client_secret', 'llm_ingest_credentials', 'scim_bearer_token']);
  });

  it('has a plan-only run expecting each variable to fail for every validation rule it has', () => {
    const runs = parseHcl(readFileSync(path.join(moduleDir, 'tests/validation.tftest.hcl'), 'utf8')).blocks.filter((b) => b.type === 'run');
    const expecting = (name: string) => runs.filter((r) => (r.body.attributes.expect_failures ?? '').includes(`var.${name}`)).length;
    for (const v of readModuleVariables(moduleDir)) {
      assert.ok(expecting(v.name) >= v.rules.length, `${v.name}: ${v.rules.length} rules, ${expecting(v.name)} runs expecting a failure`);
    }
    assert.ok(runs.some((r) => !r.body.attributes.expect_failures), 'some runs plan valid input');
  });

  it('module and examples are formatted as terraform fmt writes them', async () => {
    const dirs = ['modules', 'examples/mode-a', 'examples/mode-b', 'examples/mode-c-byoc'].map((d) => path.join(repoRoot, d));
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('terraform', ['fmt', '-check', '-recursive', '-list=true', ...dirs], { env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    assert.equal(r.code, 0, `not formatted (run terraform fmt -recursive): ${r.out}`);
  });

  describe('HCL reader', () => {
    it('reads blocks, labels, multi-line expressions, heredocs and comments', () => {
      const body = parseHcl(`# comment
variable "a" {
  description = "say \\"hi\\" to $\${name}" // trailing
  type = map(object({
    x = optional(string, "}") # a brace in a string
  }))
  default = <<-EOT
    two
      lines
  EOT
  validation {
    condition = length(var.a) > 0 && (
      true
    )
    error_message = "a must not be empty."
  }
}
/* block comment { */
output "b" { value = "\${var.a["k"]}" }
`);
      assert.deepEqual(body.blocks.map((b) => [b.type, b.labels]), [['variable', ['a']], ['output', ['b']]]);
      const a = body.blocks[0]!.body;
      assert.equal(decodeString(a.attributes.description!), 'say "hi" to ${name}');
      assert.equal(a.attributes.type, 'map(object({\n    x = optional(string, "}") # a brace in a string\n  }))');
      assert.equal(decodeString(a.attributes.default!), 'two\n  lines\n');
      assert.equal(a.blocks[0]!.type, 'validation');
      assert.equal(decodeString(a.blocks[0]!.body.attributes.error_message!), 'a must not be empty.');
      assert.equal(body.blocks[1]!.body.attributes.value, '"${var.a["k"]}"');
    });

    it('refuses what it does not understand, naming the line', () => {
      assert.throws(() => parseHcl('variable "a" {\n  type = string\n'), /line \d+: a block is not closed/);
      assert.throws(() => parseHcl('variable "a" {\n  type = map(string]\n}\n'), /line 2: unbalanced \]/);
      assert.throws(() => parseHcl('variable "a" {\n  description = "open\n}\n'), /line 2: newline in a quoted string/);
      assert.throws(() => parseHcl('a = 1\na = 2\n'), /line 2: attribute a given twice/);
      assert.throws(() => decodeString('"x ${var.y}"'), /interpolation/);
    });
  });
});
