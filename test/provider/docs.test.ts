/** provider/docs is generated from the catalog; this fails when someone changed the catalog and not the docs. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dataSources, resources, type Attribute, type AttrType } from '@claresia/catalog';
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

  it('describe every field of a nested object in a section of its own, linked from its attribute', () => {
    const objectOf = (t: AttrType): Record<string, Attribute> | undefined => {
      if (typeof t === 'string') return undefined;
      if ('object' in t) return t.object;
      const inner = 'list' in t ? t.list : 'set' in t ? t.set : t.map;
      return typeof inner !== 'string' && 'object' in inner ? inner.object : undefined;
    };
    let seen = 0;
    const walk = (page: string, attrs: Record<string, Attribute>, prefix: string) => {
      for (const [name, a] of Object.entries(attrs)) {
        const fields = objectOf(a.type);
        if (!fields) continue;
        const path = prefix + name;
        const anchor = `nestedatt--${path.replace(/\./g, '--')}`;
        assert.ok(page.includes(`- \`${name}\` (`) && page.includes(`(see [below for nested schema](#${anchor}))`), `${path} links to its nested schema`);
        const section = page.split(`<a id="${anchor}"></a>\n### Nested Schema for \`${path}\`\n`)[1]?.split(/\n<a id=|\n## /)[0];
        assert.ok(section, `${path} has a nested schema section`);
        for (const [field, f] of Object.entries(fields)) {
          assert.ok(section.includes(`- \`${field}\` (`) && section.includes(f.description), `${path}.${field} is described in its section`);
          seen++;
        }
        walk(page, fields, `${path}.`);
      }
    };
    for (const d of dataSources) walk(docs.get(`data-sources/${d.name}.md`)!, d.attributes, '');
    for (const r of resources) walk(docs.get(`resources/${r.name}.md`)!, r.attributes, '');
    assert.ok(seen >= 17, `only ${seen} nested fields found`);
    const health = docs.get('data-sources/tenant_health.md')!;
    assert.match(health, /### Nested Schema for `onboarding\.steps`\n\nRead-Only:\n\n- `done` \(Boolean\) Whether the facts show it done\./);
    assert.match(docs.get('data-sources/skill_catalog.md')!, /- `grants` \(Map of List of String\) Archetype to its default skill ids\./);
  });

  it('show timeouts written as an attribute, and list the wait switch with the optional arguments', () => {
    const hub = docs.get('resources/hub.md')!;
    const optional = hub.split('### Optional\n')[1]!.split('\n### ')[0]!;
    assert.match(optional, /^- `wait_for_ready` \(Boolean\) /m);
    assert.match(optional, /^- `timeouts` \(Attributes\) [^\n]*`timeouts = \{ create = "30m" \}`/m);
    assert.match(hub, /```terraform\nresource "claresia_hub" "example" \{\n[^`]*\n  timeouts = \{\n    create = "30m"\n  \}\n\}\n```/);
    assert.doesNotMatch(hub, /timeouts \{/, 'never shown as a block');
  });
});
