/**
 * LlmConnector.ingestCredential through the Pulumi plugin, driven over gRPC as the engine drives
 * it against a real control plane: the secret returned once at create is a secret output, kept
 * (still secret) by refresh and update whose answers have it null, and null after an import,
 * with no diff either way.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isSecret, js, launchPlugin, pb, req, secret, urnOf, type Plugin } from './support/engine.js';

const NONE = pb.DiffResponse.DiffChanges.DIFF_NONE;
const reveal = (v: any) => (isSecret(v) ? v.value : v);

for (const kind of dbKinds()) {
  describe(`pulumi LlmConnector.ingestCredential [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let p: Plugin;

    before(async () => {
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant({ deployment_mode: 'A' });
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    it('is a secret output from create on, kept by refresh and update, null after import; no diff after create', async () => {
      const U = urnOf('LlmConnector', 'claude');
      const inputs = { platform: 'claude', name: 'Claude', credential: secret('sk-ant-admin01-PULUMI-ingest-1f2e3d'), baseUrl: 'http://127.0.0.1:9/claude' };
      const checked = js((await p.call<any>('check', req.check(U, inputs))).getInputs());
      const created = await p.call<any>('create', req.create(U, checked));
      const id = created.getId() as string;
      const outs = js(created.getProperties());
      assert.ok(isSecret(outs.ingestCredential), `create returns it secret: ${JSON.stringify(outs.ingestCredential)}`);
      const credential = reveal(outs.ingestCredential) as string;
      assert.match(credential, /^ingest_[A-Za-z0-9_-]{43}$/);
      const row = await cp.db('llm_connectors').where({ id }).first();
      assert.notEqual(row.ingest_credential_hash, null);
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, checked, checked))).getChanges(), NONE);

      const refreshed = js((await p.call<any>('read', req.read(U, id, outs, checked))).getProperties());
      assert.ok(isSecret(refreshed.ingestCredential), 'refresh keeps it secret');
      assert.equal(reveal(refreshed.ingestCredential), credential, 'and keeps the value the API no longer shows');

      const renamed = { ...checked, name: 'Claude (EU)' };
      const updated = js((await p.call<any>('update', req.update(U, id, refreshed, renamed, false, checked))).getProperties());
      assert.equal(updated.name, 'Claude (EU)');
      assert.ok(isSecret(updated.ingestCredential));
      assert.equal(reveal(updated.ingestCredential), credential);

      // `pulumi import`: Read with the id alone; the credential was never seen, so it is null, and the program plans nothing.
      const imported = await p.call<any>('read', req.read(U, id, {}));
      const importedOuts = js(imported.getProperties());
      assert.equal(reveal(importedOuts.ingestCredential) ?? null, null);
      const again = js((await p.call<any>('read', req.read(U, id, importedOuts, js(imported.getInputs())))).getProperties());
      assert.equal(reveal(again.ingestCredential) ?? null, null);
      assert.ok(!p.stderr().includes(credential), 'the plugin never logs it');
      await p.call('delete', req.delete(U, id, updated));
    });
  });
}
