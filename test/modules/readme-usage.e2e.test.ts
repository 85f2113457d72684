/**
 * The module README's Usage block is what an adopter copies first (review r7 F4: it had no
 * required_providers, so `terraform init` failed with "Provider type mismatch"). Taken from the
 * README as written, with the module beside it where its `source` points, it must init from the
 * provider's filesystem mirror, validate, and be formatted as terraform fmt writes it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProvider, workspace } from '../provider/support/terraform.js';
import { copyModule, MODULE } from './support.js';

/** The first hcl block of the README's Usage section. */
function usageBlock(readme: string): string {
  const usage = readme.split(/^## Usage$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /^```hcl\n([\s\S]*?)^```$/m.exec(usage)?.[1];
  assert.ok(block, 'the README has an hcl block under ## Usage');
  return block;
}

describe('terraform-claresia-tenant README: the Usage block as written', function () {
  this.timeout(300_000);
  before(() => buildProvider());

  it('inits from the mirror, validates, and is formatted', async () => {
    const ws = workspace({ mirror: true });
    try {
      const block = usageBlock(readFileSync(path.join(MODULE, 'README.md'), 'utf8'));
      const source = /^module "[^"]+" \{\n\s*source\s*=\s*"([^"]+)"/m.exec(block)?.[1];
      assert.ok(source && source.startsWith('./'), `the block calls the module by a local path, got ${source}`);
      const moduleCopy = path.join(ws.dir, source);
      mkdirSync(path.dirname(moduleCopy), { recursive: true });
      copyModule(moduleCopy);
      ws.write('main.tf', block);
      const init = await ws.tf('init', '-input=false');
      assert.equal(init.code, 0, init.stdout + init.stderr);
      const valid = await ws.tf('validate');
      assert.equal(valid.code, 0, valid.stdout + valid.stderr);
      assert.match(valid.stdout, /The configuration is valid/);
      const fmt = await ws.tf('fmt', '-check', '-diff', 'main.tf');
      assert.equal(fmt.code, 0, `the block is not as terraform fmt writes it:\n${fmt.stdout}${fmt.stderr}`);
    } finally {
      ws.close();
    }
  });
});
