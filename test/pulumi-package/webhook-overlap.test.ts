/**
 * The Pulumi provider and a webhook's secret rotation overlap (review v1 #4), against a real
 * control plane: no overlap unless the program asks; the overlap asked with a new secret applies
 * to that rotation; a later rotation of the secret alone (the update sends what changed) keeps
 * the program's overlap; 0 ends a running one. previousSecretExpiresAt is previewed as unknown
 * whenever the secret or the overlap changes, and reads back as the API says.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { js, launchPlugin, req, secret, UNKNOWN, urnOf, type Plugin } from './support/engine.js';

for (const kind of dbKinds()) {
  describe(`pulumi provider, webhook secret overlap [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let p: Plugin;

    before(async () => {
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    async function up(urn: string, id: string, outs: Record<string, unknown>, program: Record<string, unknown>, stateInputs: Record<string, unknown>) {
      const checked = await p.call<any>('check', req.check(urn, program, stateInputs));
      assert.deepEqual(checked.getFailuresList().map((f: any) => f.getReason()), []);
      const news = js(checked.getInputs());
      const diff = await p.call<any>('diff', req.diff(urn, id, outs, news, stateInputs));
      const preview = js((await p.call<any>('update', req.update(urn, id, outs, news, true, stateInputs))).getProperties());
      const result = js((await p.call<any>('update', req.update(urn, id, outs, news, false, stateInputs))).getProperties());
      return { news, diffs: diff.getDiffsList() as string[], preview, result };
    }
    const row = (id: string) => cp.db('webhooks').where({ id }).first();

    it('rotates with the overlap the program asks for, keeps it for a later secret-only rotation, and ends it at 0', async () => {
      const U = urnOf('Webhook', 'overlap');
      const program = { url: 'https://hooks.acme.example/overlap', events: ['user.created'], secret: secret('whsec-pulumi-first-0123') };
      const created = await p.call<any>('create', req.create(U, program));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.equal(outs.secretOverlapSeconds, 0);
      assert.equal(outs.previousSecretExpiresAt ?? null, null);

      const second = { ...program, secret: secret('whsec-pulumi-second-0123'), secretOverlapSeconds: 3600 };
      const r1 = await up(U, id, outs, second, program);
      assert.deepEqual([...r1.diffs].sort(), ['secret', 'secretOverlapSeconds']);
      assert.equal(r1.preview.previousSecretExpiresAt, UNKNOWN);
      const ends1 = Date.parse(r1.result.previousSecretExpiresAt);
      assert.ok(ends1 > Date.now() + 3_500_000 && ends1 <= Date.now() + 3_600_000, r1.result.previousSecretExpiresAt);
      const afterFirst = await row(id);

      const third = { ...second, secret: secret('whsec-pulumi-third-01234') };
      const r2 = await up(U, id, r1.result, third, r1.news);
      assert.deepEqual(r2.diffs, ['secret']);
      assert.ok(Date.parse(r2.result.previousSecretExpiresAt) >= ends1, 'the stored overlap applies to a rotation of the secret alone');
      assert.equal((await row(id)).previous_secret_enc, afterFirst.secret_enc, 'the secret just replaced is the one kept');

      const leaked = { ...third, secretOverlapSeconds: 0 };
      const r3 = await up(U, id, r2.result, leaked, r2.news);
      assert.deepEqual(r3.diffs, ['secretOverlapSeconds']);
      assert.equal(r3.result.previousSecretExpiresAt ?? null, null);
      assert.equal((await row(id)).previous_secret_enc, null);
      await cp.request('DELETE', `/api/v1/webhooks/${id}`, { token: t.token });
    });
  });
}
