/**
 * What the Pulumi provider says about objects changed or made outside it (review r9 F1 and F5),
 * driven over gRPC as the engine drives it, against a real control plane, with a test engine
 * receiving its log:
 * - a value returned once (ScimDirectory.bearerToken, LlmConnector.ingestCredential) rotated
 *   through the API: Read drops it from the outputs and the engine gets a WARNING against the
 *   resource's URN with the rotation time; the Read after that says nothing more;
 * - a GroupMapping for a group a default mapping maps already: Create fails with the API's own
 *   message and how to adopt that mapping (the `import` option, `pulumi import`).
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import type { TenantFixture, TestControlPlane } from '../support/control-plane.js';
import type { PlatformServer } from '../support/platforms/platform-server.js';
import { isSecret, js, req, secret, urnOf, type Plugin } from './support/engine.js';
import { Severity, type TestEngine } from './support/test-engine.js';
import { pluginWithEngine, type PluginWithEngine } from './support/plugin-with-engine.js';

const PLATFORM_KEY = 'sk-ant-admin01-PULUMI-rotated-4c19e7d2';
const reveal = (v: any) => (isSecret(v) ? v.value : v);

for (const kind of dbKinds()) {
  describe(`pulumi: objects changed or made outside Pulumi [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let engine: TestEngine;
    let p: Plugin;

    let set: PluginWithEngine | undefined;
    before(async () => {
      set = await pluginWithEngine(kind, PLATFORM_KEY);
      ({ cp, platforms, t, engine, p } = set);
    });
    after(async () => set?.close());
    beforeEach(() => void engine.logs.splice(0));

    const checked = async (urn: string, inputs: Record<string, unknown>) => js((await p.call<any>('check', req.check(urn, inputs))).getInputs());

    it('a SCIM token and an ingest credential rotated through the API leave the outputs at the next Read, with a WARNING each', async () => {
      const S = urnOf('ScimDirectory', 'okta');
      const sIn = await checked(S, { idp: 'okta' });
      const sRes = await p.call<any>('create', req.create(S, sIn));
      const sId = sRes.getId() as string;
      const sOuts = js(sRes.getProperties());
      const token = reveal(sOuts.bearerToken) as string;
      assert.match(token, /^scim_/);

      const L = urnOf('LlmConnector', 'claude');
      const lIn = await checked(L, { platform: 'claude', name: 'Claude', credential: secret(PLATFORM_KEY), baseUrl: platforms.baseUrl('claude') });
      const lRes = await p.call<any>('create', req.create(L, lIn));
      const lId = lRes.getId() as string;
      const lOuts = js(lRes.getProperties());
      const ingest = reveal(lOuts.ingestCredential) as string;
      assert.match(ingest, /^ingest_/);

      // Before any rotation a Read keeps both and says nothing.
      const sSame = js((await p.call<any>('read', req.read(S, sId, sOuts, sIn))).getProperties());
      assert.equal(reveal(sSame.bearerToken), token);
      assert.equal(engine.logs.length, 0, JSON.stringify(engine.logs));

      const sRot = await cp.request('POST', `/api/v1/identity/scim/directories/${sId}/token:rotate`, { token: t.token });
      assert.equal(sRot.status, 200, sRot.text);
      const lRot = await cp.request('POST', `/api/v1/llm/connectors/${lId}/ingest-credential:rotate`, { token: t.token, body: {} });
      assert.equal(lRot.status, 200, lRot.text);

      const sRead = js((await p.call<any>('read', req.read(S, sId, sOuts, sIn))).getProperties());
      assert.equal(reveal(sRead.bearerToken) ?? null, null, 'the dead token leaves the outputs');
      assert.equal(sRead.tokenRotatedAt, sRot.body.token_rotated_at);
      const lRead = js((await p.call<any>('read', req.read(L, lId, lOuts, lIn))).getProperties());
      assert.equal(reveal(lRead.ingestCredential) ?? null, null, 'the dead credential leaves the outputs');

      assert.deepEqual(
        engine.logs.map((l) => [l.severity, l.urn]),
        [
          [Severity.WARNING, S],
          [Severity.WARNING, L],
        ],
      );
      const [sWarn, lWarn] = engine.logs.map((l) => l.message);
      assert.ok(sWarn!.startsWith(`ScimDirectory ${sId}: bearerToken was rotated outside Pulumi at ${sRot.body.token_rotated_at} (tokenRotatedAt): the value the stack held no longer works.`), sWarn);
      assert.ok(sWarn!.includes(`only the answer to POST /api/v1/identity/scim/directories/${sId}/token:rotate shows a new one`), sWarn);
      assert.ok(sWarn!.includes('(pulumi up --replace <urn>)'), sWarn);
      assert.ok(lWarn!.startsWith(`LlmConnector ${lId}: ingestCredential was rotated outside Pulumi at ${lRot.body.ingest_credential_rotated_at} (ingestCredentialRotatedAt): the value the stack held no longer works.`), lWarn);
      for (const message of [sWarn!, lWarn!]) {
        for (const s of [token, ingest, sRot.body.bearer_token, lRot.body.ingest_credential, PLATFORM_KEY, t.token]) assert.ok(!message.includes(s), `a secret in a logged message: ${message}`);
      }

      // Once the refresh is in the stack there is nothing more to say.
      engine.logs.splice(0);
      const sAgain = js((await p.call<any>('read', req.read(S, sId, sRead, sIn))).getProperties());
      assert.equal(reveal(sAgain.bearerToken) ?? null, null);
      await p.call('read', req.read(L, lId, lRead, lIn));
      assert.equal(engine.logs.length, 0, JSON.stringify(engine.logs));

      await p.call('delete', req.delete(S, sId, sRead));
      await p.call('delete', req.delete(L, lId, lRead));
    });

    it('a GroupMapping for a group mapped by default: Create fails naming the mapping and how to import it', async () => {
      const list = await cp.request('GET', '/api/v1/identity/group-mappings', { token: t.token });
      const existing = (list.body.items as Array<{ id: string; group: string }>).find((m) => m.group === 'claresia-users')!;
      assert.ok(existing, list.text);
      const U = urnOf('GroupMapping', 'users');
      const inputs = await checked(U, { group: 'claresia-users', role: 'auditor' });
      await assert.rejects(p.call('create', req.create(U, inputs)), (err: Error) => {
        assert.ok(err.message.includes(`GroupMapping: group "claresia-users" is already mapped by ${existing.id}; change that mapping instead.`), err.message);
        assert.ok(err.message.includes(`To manage ${existing.id} with Pulumi instead of creating another, import it: give this resource the option \`import: "${existing.id}"\``), err.message);
        assert.ok(err.message.includes(`or run \`pulumi import claresia:index:GroupMapping <name> ${existing.id}\``), err.message);
        assert.ok(err.message.includes('409 conflict, property group'), err.message);
        return true;
      });
      const after = await cp.request('GET', '/api/v1/identity/group-mappings', { token: t.token });
      assert.deepEqual(after.body.items, list.body.items, 'nothing created or changed');
      // The import the message names works: a Read by id alone.
      const imported = js((await p.call<any>('read', req.read(U, existing.id, {}))).getProperties());
      assert.equal(imported.group, 'claresia-users');
    });
  });
}
