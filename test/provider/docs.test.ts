/** provider/docs is generated from the catalog; this fails when someone changed the catalog and not the docs. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dataSources, resources } from '@claresia/catalog';
import { DOCS_COMMAND, renderDocs } from '../../provider/src/docs.js';
import { providerDir } from './support/terraform.js';

describe('provider docs', () => {
  const docsDir = path.join(providerDir, 'docs');
  const docs = renderDocs();

  it('are up to date with the catalog', () => {
    const stale: string[] = [];
    for (const [rel, content] of docs) {
      const file = path.join(docsDir, rel);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== content) stale.push(rel);
    }
    for (const sub of ['resources', 'data-sources']) {
      const dir = path.join(docsDir, sub);
      for (const f of existsSync(dir) ? readdirSync(dir) : []) if (!docs.has(`${sub}/${f}`)) stale.push(`${sub}/${f} (no longer in the catalog)`);
    }
    assert.deepEqual(stale, [], `provider/docs is stale; run \`${DOCS_COMMAND}\``);
  });

  it('have a page per resource and data source, each with an example and resources with their import ID', () => {
    assert.ok(docs.has('index.md'));
    for (const r of resources) {
      const page = docs.get(`resources/${r.name}.md`)!;
      assert.ok(page.startsWith('<!-- Generated'), 'the first line says it is generated');
      assert.ok(page.includes('```terraform\n' + r.terraformExample.trim()));
      assert.ok(page.includes(`terraform import claresia_${r.name}.example ${r.importId.example}`));
      for (const name of Object.keys(r.attributes)) assert.ok(page.includes(`- \`${name}\` (`), `${r.name}.${name} documented`);
    }
    for (const d of dataSources) assert.ok(docs.get(`data-sources/${d.name}.md`)!.includes(d.terraformExample.trim()));
  });

  it('say what the first plan after an import shows for values that live only in Terraform', () => {
    const importSection = (name: string) => docs.get(`resources/${name}.md`)!.split('## Import')[1]!;
    assert.match(importSection('llm_connector'), /`credential_wo_version` is not imported[^\n]*sends `credential` once/);
    assert.match(importSection('webhook'), /`secret_wo_version` is not imported/);
    assert.match(importSection('hub'), /`timeouts` are not imported[^\n]*calls no API/);
    assert.doesNotMatch(importSection('tenant'), /not imported/, 'nothing of the kind on a tenant');
  });
});
