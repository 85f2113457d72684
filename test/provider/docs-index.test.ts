/**
 * docs/index.md as a newcomer reads it (review r9 F4): how to install a provider that is on no
 * registry, which credentials win, which resources take `timeouts` and how it is written, and
 * what an import brings back. Generated from the catalog and the provider's own code, so these
 * check the generator against those sources, not a copy of the text.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resources } from '@claresia/catalog';
import { renderDocs } from '../../provider/src/docs.js';
import { hasTimeouts } from '../../provider/src/schema.js';
import { writeMirror } from '../../provider/scripts/mirror.mjs';

const index = renderDocs().get('index.md')!;
const section = (title: string) => index.split(`\n## ${title}\n`)[1]?.split('\n## ')[0] ?? '';

describe('provider docs: index.md', () => {
  it('says how to install the provider: the CLI configuration `npm run mirror` prints, and dev_overrides', () => {
    const install = section('Installing the provider');
    assert.match(install, /on no registry/);
    assert.match(install, /npm run mirror -w @claresia\/terraform-provider -- \/home\/you\/claresia-mirror/);
    const dir = mkdtempSync(path.join(tmpdir(), 'claresia-mirror-'));
    try {
      const { cliConfig } = writeMirror(dir);
      assert.ok(install.includes(cliConfig.split(dir).join('/home/you/claresia-mirror').trim()), 'the mirror configuration is the one the script prints');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.match(install, /dev_overrides \{\n\s+"claresia\/claresia" = "[^"]+\/provider\/bin"/);
    assert.ok(index.indexOf('## Installing the provider') < index.indexOf('## Example Usage'), 'before the example that needs it');
  });

  it('says which arguments the environment can give, and which credentials win', () => {
    assert.doesNotMatch(index, /Every argument can come from the environment/);
    const creds = section('Credentials');
    assert.match(creds, /`request_timeout` and `max_retries` are set in the provider block only/);
    assert.match(creds, /`CLARESIA_TOKEN` is used before `CLARESIA_CLIENT_ID` and `CLARESIA_CLIENT_SECRET`, and a warning says so/);
    assert.match(creds, /both written in the block: the token is used, and a warning/);
    assert.match(creds, /tenant token .* expires/);
  });

  it('lists exactly the resources that take timeouts, written as an attribute', () => {
    const timeouts = section('Timeouts');
    for (const r of resources) assert.equal(timeouts.includes(`[claresia_${r.name}](resources/${r.name}.md#`), hasTimeouts(r), r.name);
    assert.match(timeouts, /\n  timeouts = \{\n    create = "30m"\n  \}\n/);
    assert.doesNotMatch(timeouts, /timeouts \{/);
  });

  it('says what imports by something other than its id, and names every value an import cannot bring back', () => {
    const imports = section('Import');
    for (const r of resources) {
      assert.equal(imports.includes(`\`claresia_${r.name}\` by its`), r.importId.format !== '{id}', r.name);
      for (const [name, a] of Object.entries(r.attributes)) {
        if (a.writeOnly || a.returnedOnce) assert.ok(imports.includes(`\`claresia_${r.name}.${name}\``), `${r.name}.${name}`);
      }
    }
  });
});
