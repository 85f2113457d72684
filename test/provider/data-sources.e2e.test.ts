/**
 * Every catalog data source through the generic path: read with a tenant's credentials by the
 * real terraform, every attribute of the answer landing in state with its declared type.
 */
import assert from 'node:assert/strict';
import { dataSources } from '@claresia/catalog';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

describe('data sources with terraform', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  const readable = dataSources.filter((d) => Object.values(d.attributes).every((a) => a.mode !== 'required'));

  before(async function () {
    if (readable.length === 0) this.skip();
    await buildProvider();
    cp = await startControlPlane();
  });
  after(async () => cp?.close());

  it(`reads ${readable.map((d) => `claresia_${d.name}`).join(', ') || '(none in the catalog yet)'} and matches the API`, async () => {
    const t = await cp.createTenant();
    const ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token } });
    try {
      ws.write('main.tf', providerBlock + readable.map((d) => `data "claresia_${d.name}" "x" {}\n`).join(''));
      await ws.ok(['apply', '-auto-approve']);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
      const shown = JSON.parse((await ws.ok(['show', '-json'])).stdout);
      for (const d of readable) {
        const values = shown.values.root_module.resources.find((r: any) => r.type === `claresia_${d.name}`).values;
        const api = await cp.request('GET', d.api.read.path, { token: t.token });
        assert.equal(api.status, 200, `${d.api.read.path} answers`);
        for (const [name, attr] of Object.entries(d.attributes)) {
          if (attr.mode !== 'computed') continue;
          // Time-of-read fields move between two reads; their presence is what matters.
          if (attr.format === 'date-time') assert.equal(typeof values[name], typeof api.body[name]);
          else assert.deepEqual(project(values[name]), project(api.body[name]), `claresia_${d.name}.${name}`);
        }
      }
    } finally {
      ws.close();
    }
  });
});

/** Compares what terraform holds with the API answer, ignoring fields the schema does not declare. */
function project(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}
